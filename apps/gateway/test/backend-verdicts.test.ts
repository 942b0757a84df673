import type { DiscoverResult } from "@modelcontextprotocol/client";
import { StorageUnavailableError } from "@vmcp/session-core";
import { ReferenceStorage } from "@vmcp/session-core/testing";
import { MetadataKeyBackendEra } from "@vmcp/session-keys";
import { waitUntil } from "@vmcp/test-support";
import { describe, expect, it } from "vitest";
import { BackendVerdicts } from "../dist/http/mcp-2026-07-28/backends/backend-verdicts.js";
import type {
  BackendVerdict,
  VerdictTarget,
} from "../dist/http/mcp-2026-07-28/backends/verdict-record.js";
import { createLogger } from "../dist/logger.js";

const TtlMs = 60_000;
const RetryMs = 5_000;
const discover: DiscoverResult = { supportedVersions: ["2026-07-28"], capabilities: { tools: {} } };
const backend = { workloadId: "a", url: "http://127.0.0.1:1/mcp", headers: { "x-key": "k" } };

/** A replica's verdicts over `storage`, with a probe that answers `answers` in turn and a settable clock. */
function replica(
  storage: Pick<ReferenceStorage, "load" | "create" | "update">,
  answers: (BackendVerdict["kind"] | Error)[],
  clock: { now: number },
) {
  const probes: VerdictTarget[] = [];
  let text = "";
  const log = createLogger("info", {
    destination: {
      write: (chunk: string) => {
        text += chunk;
      },
    },
  });
  const verdicts = makeVerdicts({
    storage,
    log,
    now: () => clock.now,
    probe: async (target) => {
      probes.push(target);
      const answer = answers.shift() ?? "modern";
      if (answer instanceof Error) throw answer;
      return answer === "modern"
        ? { kind: "modern", discover, storedAt: 0 }
        : { kind: "legacy", storedAt: 0 };
    },
  });
  const lines = () =>
    text
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { verdicts, probes, lines };
}

function makeVerdicts(options: {
  storage: Pick<ReferenceStorage, "load" | "create" | "update">;
  log: ReturnType<typeof createLogger>;
  now: () => number;
  probe: ConstructorParameters<typeof BackendVerdicts>[0]["probe"];
}) {
  return new BackendVerdicts({
    storage: options.storage,
    backends: [backend],
    ttlMs: TtlMs,
    probeRetryMs: RetryMs,
    probeTimeoutMs: 1_000,
    secret: "a-binding-secret-of-16+",
    log: options.log,
    now: options.now,
    ...(options.probe === undefined ? {} : { probe: options.probe }),
  });
}

describe("backend era verdicts, shared through the store", () => {
  it("probes once, stores the verdict with an expiresAt of the TTL, and answers from memory until then", async () => {
    const storage = new ReferenceStorage();
    const clock = { now: Date.now() };
    const { verdicts, probes } = replica(storage, ["modern"], clock);
    const [first, second] = await Promise.all([verdicts.verdict("a"), verdicts.verdict("a")]);
    expect(first).toEqual({ kind: "modern", discover, storedAt: clock.now });
    expect(second).toBe(first);
    expect(probes).toMatchObject([backend]);
    const record = await storage.load(verdicts.recordIdOf("a") ?? "");
    expect(record?.expiresAt).toBe(clock.now + TtlMs);
    expect(JSON.parse(record?.metadata[MetadataKeyBackendEra] ?? "")).toEqual(first);
    // Within the TTL: no store read, no probe; the answer is synchronous.
    expect(verdicts.verdict("a")).toBe(first);
    expect(verdicts.verdict("nope")).toBeUndefined();
  });

  it("another replica adopts the stored verdict without probing; past the TTL the backend is probed again and the record updated", async () => {
    const storage = new ReferenceStorage();
    const clock = { now: Date.now() };
    const a = replica(storage, ["modern"], clock);
    const b = replica(storage, ["legacy"], clock);
    const stored = await a.verdicts.verdict("a");
    expect(await b.verdicts.verdict("a")).toEqual(stored);
    expect(b.probes).toHaveLength(0);

    clock.now += TtlMs;
    expect(await b.verdicts.verdict("a")).toMatchObject({ kind: "legacy", storedAt: clock.now });
    expect(b.probes).toHaveLength(1);
    const record = await storage.load(b.verdicts.recordIdOf("a") ?? "");
    expect(record?.version).toBe(2);
    expect(record?.expiresAt).toBe(clock.now + TtlMs);
    // Replica a's own copy aged too: it reads the new verdict from the store, no probe.
    expect(await a.verdicts.verdict("a")).toMatchObject({ kind: "legacy" });
    expect(a.probes).toHaveLength(1);
    expect(
      b.lines().filter((l) => l.msg?.toString().startsWith("backend speaks 2025-era")),
    ).toHaveLength(1);
  });

  it("a backend that cannot be probed is left out, and asked again only after probeRetryMs, in the background", async () => {
    const clock = { now: Date.now() };
    const { verdicts, probes, lines } = replica(
      new ReferenceStorage(),
      [new Error("connect ECONNREFUSED"), "modern"],
      clock,
    );
    expect(await verdicts.verdict("a")).toBeUndefined();
    expect(await verdicts.verdict("a")).toBeUndefined();
    expect(probes).toHaveLength(1);
    expect(lines().filter((l) => l.level === 40)).toMatchObject([
      { workloadId: "a", reason: expect.stringContaining("ECONNREFUSED") },
    ]);
    clock.now += RetryMs;
    // Asked again in the background: this request does not wait for it.
    expect(await verdicts.verdict("a")).toBeUndefined();
    await waitUntil(() => verdicts.verdict("a") !== undefined, 5_000, "the background probe");
    expect(await verdicts.verdict("a")).toMatchObject({ kind: "modern" });
    expect(probes).toHaveLength(2);
  });

  it("reprobe replaces a verdict a call failed with, once, and prefers a newer one another replica stored", async () => {
    const storage = new ReferenceStorage();
    const clock = { now: Date.now() };
    const a = replica(storage, ["modern", "modern"], clock);
    const b = replica(storage, ["legacy"], clock);
    const stale = await a.verdicts.verdict("a");
    if (stale === undefined) throw new Error("no verdict");
    clock.now += 10;
    await Promise.all([a.verdicts.reprobe("a", stale), a.verdicts.reprobe("a", stale)]);
    expect(a.probes).toHaveLength(2);
    const fresh = await a.verdicts.verdict("a");
    expect(fresh?.storedAt).toBe(clock.now);
    // The same stale verdict reported again changes nothing.
    await a.verdicts.reprobe("a", stale);
    expect(a.probes).toHaveLength(2);
    // Replica b still held the first verdict: it finds the newer one in the store.
    await b.verdicts.verdict("a");
    await b.verdicts.reprobe("a", stale);
    expect(b.probes).toHaveLength(0);
    expect(await b.verdicts.verdict("a")).toEqual(fresh);
  });

  it("a store that fails or holds a corrupt value costs a probe, never the request", async () => {
    const clock = { now: Date.now() };
    const down = new StorageUnavailableError("store down");
    const broken = {
      load: async () => Promise.reject(down),
      create: async () => Promise.reject(down),
      update: async () => Promise.reject(down),
    };
    const { verdicts, probes, lines } = replica(broken, ["modern"], clock);
    expect(await verdicts.verdict("a")).toMatchObject({ kind: "modern" });
    expect(probes).toHaveLength(1);
    expect(lines().map((l) => l.msg)).toEqual(
      expect.arrayContaining([
        "backend era verdict not read from the store: probing",
        "backend era verdict not written to the store: kept on this replica",
      ]),
    );

    const storage = new ReferenceStorage();
    const other = replica(storage, ["legacy"], clock);
    await storage.create({
      id: other.verdicts.recordIdOf("a") ?? "",
      metadata: { [MetadataKeyBackendEra]: '{"kind":"modern","discover":5}' },
      expiresAt: clock.now + TtlMs,
    });
    expect(await other.verdicts.verdict("a")).toMatchObject({ kind: "legacy" });
    expect(other.probes).toHaveLength(1);
  });
});
