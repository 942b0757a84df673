import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isLoopbackAddress } from "../dist/http/guards/loopback-address.js";
import {
  BatchEntryCounter,
  CallerLimits,
  loopbackCallersFor,
} from "../dist/http/guards/request-limits.js";

/** The entries of a whole body, counted in one push. */
function countBatchEntries(text: string): number | undefined {
  return new BatchEntryCounter().push(Buffer.from(text, "utf8"));
}

describe("countBatchEntries", () => {
  it("counts the top-level entries of any JSON array, however formatted", () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 40 }), fc.boolean(), (entries, pretty) => {
        const text = pretty ? JSON.stringify(entries, null, 2) : JSON.stringify(entries);
        expect(countBatchEntries(text)).toBe(entries.length);
      }),
      { numRuns: 300 },
    );
  });

  it("is undefined for anything but an array, and counts strings holding brackets, commas and escapes as one", () => {
    expect(countBatchEntries('{"jsonrpc":"2.0"}')).toBeUndefined();
    expect(countBatchEntries('  "x"')).toBeUndefined();
    expect(countBatchEntries(" [ ] ")).toBe(0);
    expect(countBatchEntries('["a,]\\"[,", {"b": [1,2,{"c":","}]}, 3]')).toBe(3);
  });
});

describe("BatchEntryCounter", () => {
  it("counts the same over any split of the bytes (inside strings, escapes and multi-byte characters), and the count only grows", () => {
    const tricky = fc.oneof(fc.jsonValue(), fc.constantFrom('a"b', "\\", "é,[]{}", '😀"[', ","));
    fc.assert(
      fc.property(
        fc.array(tricky, { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (entries, cuts) => {
          const bytes = Buffer.from(JSON.stringify(entries), "utf8");
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort(
            (a, b) => a - b,
          );
          const counter = new BatchEntryCounter();
          let previous = 0;
          let from = 0;
          for (const to of [...points, bytes.length]) {
            const now = counter.push(bytes.subarray(from, to)) ?? 0;
            expect(now).toBeGreaterThanOrEqual(previous);
            previous = now;
            from = to;
          }
          expect(counter.entries).toBe(entries.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("reaches a bound from the first chunk of a long batch, before the rest has arrived", () => {
    const batch = JSON.stringify(Array.from({ length: 10_000 }, (_, id) => ({ id, method: "x" })));
    const counter = new BatchEntryCounter();
    expect(counter.push(Buffer.from(batch.slice(0, 2_000)))).toBeGreaterThan(50);
    expect(new BatchEntryCounter().push(Buffer.from('{"jsonrpc":"2.0"'))).toBeUndefined();
  });
});

/** Limits of burst 3, one initialize a second, 2 live sessions per caller, on a clock the test moves. */
function limits(extra: { live?: Set<string>; loopbackCallers?: "exempt" | "limited" } = {}) {
  let now = 0;
  const live = extra.live;
  const callers = new CallerLimits({
    ...(extra.loopbackCallers === undefined ? {} : { loopbackCallers: extra.loopbackCallers }),
    maxSessionsPerCaller: 2,
    initializePerMinute: 60, // one per second
    initializeBurst: 3,
    isLive: (id) => live === undefined || live.has(id),
    sessionTtlMs: 10_000,
    now: () => now,
  });
  return { callers, advance: (ms: number) => (now += ms) };
}

describe("CallerLimits", () => {
  it("lets a burst through, then one initialize per refill interval, per caller", () => {
    const { callers, advance } = limits();
    for (let i = 0; i < 3; i++) callers.admitInitialize("a");
    expect(() => callers.admitInitialize("a")).toThrow(
      expect.objectContaining({ code: "VMCP_INITIALIZE_RATE_LIMITED", retryAfterSec: 1 }),
    );
    callers.admitInitialize("b");
    advance(999);
    expect(() => callers.admitInitialize("a")).toThrow(/too many initialize/);
    advance(1);
    callers.admitInitialize("a");
  });

  it("counts live sessions per caller: ended, evicted and unused-for-a-TTL ones free a place", () => {
    const live = new Set(["s1", "s2", "s3"]);
    const { callers, advance } = limits({ live });
    callers.created("a", "s1");
    callers.created("a", "s2");
    advance(5000);
    expect(() => callers.admitInitialize("a")).toThrow(
      expect.objectContaining({ code: "VMCP_TOO_MANY_SESSIONS" }),
    );
    callers.admitInitialize("b");
    callers.ended("s1");
    callers.admitInitialize("a");
    callers.created("a", "s3");
    live.delete("s3"); // evicted from the live sessions
    callers.admitInitialize("a");
    callers.created("a", "s4");
    live.add("s4");
    callers.seen("s4");
    expect(() => callers.admitInitialize("a")).toThrow(/already holds 2 live sessions/);
    // s2 unused for a TTL (10 s since its creation) while s4 was seen 5 s ago.
    advance(5000);
    expect(() => callers.admitInitialize("a")).not.toThrow();
  });
});

describe("who the per-caller limits count, and who they exempt", () => {
  const LoopbackAddresses = [
    "127.0.0.1",
    "127.10.20.30",
    "::1",
    "0:0:0:0:0:0:0:1",
    "::ffff:127.0.0.1",
  ];
  const OtherAddresses = [
    "10.0.0.7",
    "192.168.1.20",
    "128.0.0.1",
    "2001:db8::1",
    "::ffff:10.0.0.7",
    "::",
    "::2",
  ];
  const alice = { issuer: "https://idp.example", subject: "alice" };

  it("knows a loopback remote address from any other (names and junk are not addresses)", () => {
    for (const address of LoopbackAddresses) expect(isLoopbackAddress(address), address).toBe(true);
    for (const address of [...OtherAddresses, "localhost", "", "127.0.0.1.evil", undefined]) {
      expect(isLoopbackAddress(address), String(address)).toBe(false);
    }
  });

  it("exempts anonymous loopback callers when told to: they get no key, so nothing counts or refuses them", () => {
    const { callers } = limits({ loopbackCallers: "exempt" });
    for (const address of LoopbackAddresses)
      expect(callers.callerOf(undefined, address)).toBeUndefined();
    // The endpoint admits (and counts) only callers with a key: none here, so nothing refuses.
    const keys = Array.from({ length: 60 }, () => callers.callerOf(undefined, "127.0.0.1"));
    expect(keys.every((key) => key === undefined)).toBe(true);
  });

  it("still limits a non-loopback anonymous caller by its address, and a verified identity on loopback", () => {
    const { callers } = limits({ loopbackCallers: "exempt" });
    for (const address of OtherAddresses) {
      const key = callers.callerOf(undefined, address);
      expect(key).toBe(`addr:${address}`);
      for (let i = 0; i < 3; i++) callers.admitInitialize(key as string);
      expect(() => callers.admitInitialize(key as string)).toThrow(
        expect.objectContaining({ code: "VMCP_INITIALIZE_RATE_LIMITED" }),
      );
    }
    expect(callers.callerOf(undefined, undefined)).toBe("addr:unknown");
    const identified = callers.callerOf(alice, "127.0.0.1");
    expect(identified).toBe('id:["https://idp.example","alice"]');
    for (let i = 0; i < 3; i++) callers.admitInitialize(identified as string);
    expect(() => callers.admitInitialize(identified as string)).toThrow(/too many initialize/);
  });

  it("limits loopback callers like any other when not exempt (the class's default)", () => {
    for (const loopbackCallers of [undefined, "limited"] as const) {
      const { callers } = limits(loopbackCallers === undefined ? {} : { loopbackCallers });
      const key = callers.callerOf(undefined, "127.0.0.1");
      expect(key).toBe("addr:127.0.0.1");
      for (let i = 0; i < 3; i++) callers.admitInitialize(key as string);
      expect(() => callers.admitInitialize(key as string)).toThrow(/too many initialize/);
    }
  });

  it("auto exempts loopback callers only when the gateway listens on a loopback address", () => {
    for (const host of ["127.0.0.1", "::1", "localhost", "127.0.0.2"]) {
      expect(loopbackCallersFor("auto", host), host).toBe("exempt");
    }
    // A wildcard or public bind: a reverse proxy on this host would make every caller loopback.
    for (const host of ["0.0.0.0", "::", "10.0.0.5", "gw.example.com"]) {
      expect(loopbackCallersFor("auto", host), host).toBe("limited");
    }
    expect(loopbackCallersFor("exempt", "0.0.0.0")).toBe("exempt");
    expect(loopbackCallersFor("limited", "127.0.0.1")).toBe("limited");
  });
});
