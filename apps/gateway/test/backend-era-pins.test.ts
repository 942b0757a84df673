import type { DiscoverResult } from "@modelcontextprotocol/client";
import { ReferenceStorage } from "@vmcp/session-core/testing";
import { waitUntil } from "@vmcp/test-support";
import { describe, expect, it } from "vitest";
import { BackendVerdicts } from "../dist/http/mcp-2026-07-28/backends/backend-verdicts.js";
import type { VerdictTarget } from "../dist/http/mcp-2026-07-28/backends/verdict-record.js";
import { createLogger } from "../dist/logger.js";

const TtlMs = 60_000;
const RetryMs = 5_000;
const discover: DiscoverResult = { supportedVersions: ["2026-07-28"], capabilities: { tools: {} } };

/**
 * Verdicts of three backends, `old` pinned to 2025, `new` pinned to 2026-07-28 and `probed`
 * (auto), over a store that counts every call, with a probe and a pinned discover that record
 * whom they asked (the discover answers `answers` in turn: an Error is thrown).
 */
function pinnedReplica(answers: (Error | "modern")[] = []) {
  const storage = new ReferenceStorage();
  const storeCalls: string[] = [];
  const counted = {
    load: (id: string) => {
      storeCalls.push(`load ${id}`);
      return storage.load(id);
    },
    create: (record: Parameters<ReferenceStorage["create"]>[0]) => {
      storeCalls.push(`create ${record.id}`);
      return storage.create(record);
    },
    update: (id: string, change: Parameters<ReferenceStorage["update"]>[1]) => {
      storeCalls.push(`update ${id}`);
      return storage.update(id, change);
    },
  };
  const clock = { now: Date.now() };
  const probes: VerdictTarget[] = [];
  const discovers: VerdictTarget[] = [];
  let text = "";
  const log = createLogger("info", {
    destination: {
      write: (chunk: string) => {
        text += chunk;
      },
    },
  });
  const verdicts = new BackendVerdicts({
    storage: counted,
    backends: [
      { workloadId: "old", url: "http://127.0.0.1:1/mcp", era: "2025" },
      { workloadId: "new", url: "http://127.0.0.1:2/mcp", era: "2026-07-28" },
      { workloadId: "probed", url: "http://127.0.0.1:3/mcp", era: "auto" },
    ],
    ttlMs: TtlMs,
    probeRetryMs: RetryMs,
    probeTimeoutMs: 1_000,
    log,
    now: () => clock.now,
    probe: async (target) => {
      probes.push(target);
      return { kind: "legacy", storedAt: 0 };
    },
    discoverPinned: async (target) => {
      discovers.push(target);
      const answer = answers.shift() ?? "modern";
      if (answer instanceof Error) throw answer;
      return { kind: "modern", discover, storedAt: 0 };
    },
  });
  const lines = () =>
    text
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { verdicts, storeCalls, clock, probes, discovers, lines };
}

describe("backends pinned to an era in configuration", () => {
  it("a 2025 pin is a legacy verdict from the start: never probed, never in the store, never replaced", async () => {
    const { verdicts, storeCalls, clock, probes, discovers, lines } = pinnedReplica();
    const first = verdicts.verdict("old");
    expect(first).toEqual({ kind: "legacy", storedAt: clock.now });
    expect(verdicts.pinnedEra("old")).toBe("2025");
    expect(verdicts.recordIdOf("old")).toBeUndefined();
    const version = verdicts.version;
    await verdicts.reprobe("old", first as never);
    clock.now += TtlMs * 3;
    expect(verdicts.verdict("old")).toBe(first);
    expect(verdicts.version).toBe(version);
    expect(probes).toEqual([]);
    expect(discovers).toEqual([]);
    expect(storeCalls).toEqual([]);
    expect(lines()).toContainEqual(
      expect.objectContaining({
        level: 30,
        workloadId: "old",
        era: "2025",
        msg: "backend pinned to 2025-era MCP: never probed; 2026-07-28 clients reach it through pooled backend sessions",
      }),
    );
  });

  it("a 2026-07-28 pin asks server/discover only (never the probe, never the store), and again past the TTL", async () => {
    const { verdicts, storeCalls, clock, probes, discovers } = pinnedReplica();
    const [a, b] = await Promise.all([verdicts.verdict("new"), verdicts.verdict("new")]);
    expect(a).toEqual({ kind: "modern", discover, storedAt: clock.now });
    expect(b).toBe(a);
    expect(discovers.map((t) => t.url)).toEqual(["http://127.0.0.1:2/mcp"]);
    expect(verdicts.pinnedEra("new")).toBe("2026-07-28");
    expect(verdicts.recordIdOf("new")).toBeUndefined();
    expect(verdicts.verdict("new")).toBe(a);
    clock.now += TtlMs;
    expect(await verdicts.verdict("new")).toEqual({
      kind: "modern",
      discover,
      storedAt: clock.now,
    });
    expect(discovers).toHaveLength(2);
    expect(probes).toEqual([]);
    expect(storeCalls).toEqual([]);
  });

  it("a 2026-07-28 pin that does not answer is left out, asked again per probeRetryMs, never counted as 2025-era", async () => {
    const { verdicts, clock, probes, discovers, lines } = pinnedReplica([
      new Error("connect ECONNREFUSED"),
      new Error("still down"),
    ]);
    expect(await verdicts.verdict("new")).toBeUndefined();
    expect(lines()).toContainEqual(
      expect.objectContaining({
        level: 40,
        workloadId: "new",
        era: "2026-07-28",
        reason: "connect ECONNREFUSED",
        msg: "backend pinned to 2026-07-28 did not answer server/discover: left out for now, never counted as 2025-era",
      }),
    );
    expect(verdicts.verdict("new")).toBeUndefined();
    expect(discovers).toHaveLength(1);
    clock.now += RetryMs;
    expect(verdicts.verdict("new")).toBeUndefined();
    await waitUntil(() => discovers.length === 2);
    // Its failure is taken in (the next retry dated) before the clock moves on.
    await new Promise((resolve) => setTimeout(resolve, 10));
    clock.now += RetryMs;
    expect(verdicts.verdict("new")).toBeUndefined();
    await waitUntil(() => discovers.length === 3);
    await waitUntil(() => verdicts.verdict("new") !== undefined);
    expect(await verdicts.verdict("new")).toMatchObject({ kind: "modern" });
    expect(probes).toEqual([]);
  });

  it("a failed call on a 2026-07-28 pin asks server/discover again; a failed answer leaves it out, not legacy", async () => {
    const { verdicts, clock, probes, discovers } = pinnedReplica([
      "modern",
      "modern",
      new Error("not 2026-07-28"),
    ]);
    const first = await verdicts.verdict("new");
    clock.now += 1;
    await verdicts.reprobe("new", first as never);
    const second = await verdicts.verdict("new");
    expect(second).toEqual({ kind: "modern", discover, storedAt: clock.now });
    // The verdict it failed with is no longer the one held: nothing to do.
    await verdicts.reprobe("new", first as never);
    expect(discovers).toHaveLength(2);
    await verdicts.reprobe("new", second as never);
    expect(discovers).toHaveLength(3);
    expect(verdicts.verdict("new")).toBeUndefined();
    expect(probes).toEqual([]);
  });

  it("an auto backend beside the pins is probed and stored as before", async () => {
    const { verdicts, storeCalls, probes, discovers } = pinnedReplica();
    expect(await verdicts.verdict("probed")).toMatchObject({ kind: "legacy" });
    expect(verdicts.pinnedEra("probed")).toBeUndefined();
    const recordId = verdicts.recordIdOf("probed");
    expect(recordId).toMatch(/^vmcp\.era\./);
    expect(probes.map((p) => p.url)).toEqual(["http://127.0.0.1:3/mcp"]);
    expect(discovers).toEqual([]);
    expect(storeCalls).toEqual([`load ${recordId}`, `create ${recordId}`]);
  });
});
