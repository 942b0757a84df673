/**
 * `vmcp-gateway sessions list` against a Redis Cluster: every session exactly once while slots
 * move, and with a primary down the readable sessions, a warning naming the missing slots and
 * exit code 4.
 */
import {
  clusterPrimaries,
  type RedisCluster,
  reshard,
  startRedisCluster,
  waitForAgreement,
} from "@vmcp/redis-harness";
import { RedisStorage } from "@vmcp/store-redis";
import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers/processes.js";

const Sessions = 600;
const KeyPrefix = "e2e:cluster-list:";

describe("sessions list on a Redis Cluster", () => {
  let cluster: RedisCluster;
  let storage: RedisStorage;
  let ids: string[];

  const storeFlags = () => [
    "--store",
    "redis",
    "--redis-cluster",
    cluster.nodes.map((node) => `${node.host}:${node.port}`).join(","),
    "--redis-key-prefix",
    KeyPrefix,
  ];
  const listed = async (): Promise<{ code: number | null; ids: string[]; stderr: string }> => {
    const result = await runCli(["sessions", "list", "--json", ...storeFlags()]);
    const views =
      result.stdout.trim() === "" ? [] : (JSON.parse(result.stdout) as { id: string }[]);
    return { code: result.code, ids: views.map((view) => view.id), stderr: result.stderr };
  };

  beforeAll(async () => {
    // Without full coverage the healthy primaries keep serving loads while one is down.
    cluster = await startRedisCluster({
      primaries: 3,
      requireFullCoverage: false,
    });
    // The fixture's own writes get a patient bound: the CLI's listing is under test, not this
    // setup, which on a loaded machine took over the default 1,500 ms for a create.
    storage = new RedisStorage({
      cluster: { nodes: [...cluster.nodes] },
      keyPrefix: KeyPrefix,
      timeoutMs: 10_000,
    });
    ids = Array.from({ length: Sessions }, (_, i) => `cli-${i}`);
    await Promise.all(ids.map((id) => storage.create({ id, metadata: { n: id } })));
  });

  afterAll(async () => {
    await storage?.close();
    await cluster?.close();
  });

  it("lists every session exactly once while 2000 slots move", async () => {
    const [a, b] = await clusterPrimaries(cluster);
    if (a === undefined || b === undefined) throw new Error("too few primaries");
    let resharding = true;
    // Settles with the reshard's own failure, if any, so that a listing checked against a
    // cluster the reshard broke (e.g. CLUSTERDOWN) says so instead of leaving it unhandled.
    const moving = reshard(cluster, { from: a.id, to: b.id, slots: 2_000 })
      .then(
        () => undefined,
        (error: unknown) => error,
      )
      .finally(() => {
        resharding = false;
      });
    let runs = 0;
    try {
      while (resharding) {
        const result = await listed();
        expect(result.code, result.stderr).toBe(0);
        expect(result.ids).toHaveLength(Sessions);
        expect(new Set(result.ids)).toEqual(new Set(ids));
        runs++;
      }
    } catch (listingFailure) {
      const reshardFailure = await moving;
      if (reshardFailure === undefined) throw listingFailure;
      throw new Error(`the reshard failed: ${String(reshardFailure)}`, { cause: listingFailure });
    }
    const reshardFailure = await moving;
    if (reshardFailure !== undefined) throw reshardFailure;
    expect(runs).toBeGreaterThan(0);
    await waitForAgreement(cluster);
  });

  it("with a primary down, prints the readable sessions, warns which slots are missing and exits 4", async () => {
    const primaries = await clusterPrimaries(cluster);
    const victim = primaries[primaries.length - 1];
    if (victim?.server === undefined) throw new Error("no primary to stop");
    const admin = new Cluster([...cluster.nodes]);
    const slots = await Promise.all(
      ids.map((id) => admin.cluster("KEYSLOT", storage.keyOf(id))),
    ).finally(() => admin.disconnect());
    const readable = ids.filter(
      (_, i) =>
        !victim.slots.some(
          ([first, last]) => (slots[i] ?? -1) >= first && (slots[i] ?? -1) <= last,
        ),
    );
    expect(readable.length).toBeGreaterThan(0);
    expect(readable.length).toBeLessThan(ids.length);
    await victim.server.kill();
    try {
      const result = await listed();
      expect(result.code, result.stderr).toBe(4);
      expect(new Set(result.ids)).toEqual(new Set(readable));
      expect(result.ids).toHaveLength(readable.length);
      const ranges = victim.slots.map(([first, last]) => `${first}-${last}`).join(",");
      expect(result.stderr).toContain(
        `warning: the session list is incomplete: not reachable: 127.0.0.1:${victim.port} (slots ${ranges})`,
      );

      // The table form prints the same sessions before the warning.
      const table = await runCli(["sessions", "list", ...storeFlags()]);
      expect(table.code).toBe(4);
      expect(table.stdout).toContain(`${readable.length} session(s)`);
    } finally {
      await victim.server.restart();
    }
  });
});
