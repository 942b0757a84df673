import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BatchEntryCounter, CallerLimits } from "../dist/http/request-limits.js";

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

describe("CallerLimits", () => {
  function limits(extra: { live?: Set<string> } = {}) {
    let now = 0;
    const live = extra.live;
    const callers = new CallerLimits({
      maxSessionsPerCaller: 2,
      initializePerMinute: 60, // one per second
      initializeBurst: 3,
      isLive: (id) => live === undefined || live.has(id),
      sessionTtlMs: 10_000,
      now: () => now,
    });
    return { callers, advance: (ms: number) => (now += ms) };
  }

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
