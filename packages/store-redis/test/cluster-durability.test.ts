import {
  type RedisCluster,
  type RedisServer,
  requireRedisServer,
  startRedisCluster,
  waitUntil,
} from "@vmcp/redis-harness";
import { RedisStorage } from "@vmcp/store-redis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { uniquePrefix } from "./fixtures.js";
import { type Acknowledged, until, WriteStream } from "./write-stream.js";

requireRedisServer();

/** The WAIT timeout of the durable stream, ms (below the default 1500 ms bound). */
const WaitTimeoutMs = 500;
/** The bound of each fault test, ms: a failover, a rejoin and 300 writes on a busy machine. */
const FaultTestMs = 90_000;

let cluster: RedisCluster;
const opened: RedisStorage[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster({ primaries: 3, replicasPerPrimary: 1 });
});

beforeEach(async () => {
  // Every primary has an in-sync replica again (the previous test's fault is healed).
  await cluster.waitForOk(40_000);
  await waitUntil(
    "every primary to have a replica in sync",
    async () => (await pairs()).length === 3,
    40_000,
  );
});

afterEach(async () => {
  for (const storage of opened.splice(0)) await storage.close();
});

afterAll(async () => {
  await cluster?.close();
});

function open(keyPrefix: string, durable: boolean): RedisStorage {
  const storage = new RedisStorage({
    cluster: { nodes: [...cluster.nodes] },
    keyPrefix,
    ...(durable ? { durability: { replicas: 1, timeoutMs: WaitTimeoutMs } } : {}),
  });
  opened.push(storage);
  return storage;
}

/** Each running primary with its replica whose link is up. */
async function pairs(): Promise<Array<{ primary: RedisServer; replica: RedisServer }>> {
  const found: Array<{ primary: RedisServer; replica: RedisServer }> = [];
  for (const replica of cluster.servers) {
    if (!replica.running) continue;
    const info = await replica.cli("INFO", "replication");
    if (!/role:slave/.test(info) || !/master_link_status:up/.test(info)) continue;
    const port = Number(/master_port:(\d+)/.exec(info)?.[1]);
    const primary = cluster.servers.find((server) => server.port === port);
    if (primary !== undefined) found.push({ primary, replica });
  }
  return found;
}

async function role(server: RedisServer): Promise<string> {
  return (await server.cli("ROLE")).split("\n")[0] ?? "";
}

interface StreamFigures {
  acknowledged: number;
  rejected: number;
  /** The messages of the rejections that named a Cluster redirect. */
  redirects: string[];
  lost: Acknowledged[];
}

/**
 * Runs two streams of creates and updates over every slot, durability on and off, applies
 * `fault` (it resolves once the replica took over), keeps writing until both streams had 100
 * writes acknowledged after it, then reads every acknowledged write back through a fresh client.
 */
async function streamThrough(
  name: string,
  fault: () => Promise<void>,
): Promise<{ durable: StreamFigures; plain: StreamFigures }> {
  const prefixes = { durable: uniquePrefix(`${name}-on`), plain: uniquePrefix(`${name}-off`) };
  const durable = new WriteStream(open(prefixes.durable, true));
  const plain = new WriteStream(open(prefixes.plain, false));
  const streams = [durable, plain];
  await Promise.all(streams.map((stream) => stream.start()));
  const healthy = () => streams.every((s) => s.unexpected.length === 0);
  await until(
    "200 writes acknowledged by each stream",
    () => !healthy() || streams.every((s) => s.acknowledgedSince() >= 200),
    20_000,
  );
  await fault();
  const switchedAt = Date.now();
  await until(
    "100 writes acknowledged by each stream after the fault",
    () => !healthy() || streams.every((s) => s.acknowledgedSince(switchedAt) >= 100),
    30_000,
    () =>
      streams
        .map(
          (s) => `${s.acknowledgedSince(switchedAt)} (last error: ${s.rejected.at(-1)?.message})`,
        )
        .join(", "),
  );
  await Promise.all(streams.map((stream) => stream.stop()));
  for (const stream of streams) expect(stream.unexpected).toEqual([]);
  const figures = async (stream: WriteStream, prefix: string): Promise<StreamFigures> => ({
    acknowledged: stream.acknowledged.length,
    rejected: stream.rejected.length,
    redirects: stream.rejected.map((e) => e.message).filter((m) => /MOVED|ASK/.test(m)),
    lost: await stream.missing(open(prefix, false)),
  });
  const result = {
    durable: await figures(durable, prefixes.durable),
    plain: await figures(plain, prefixes.plain),
  };
  console.log(
    `Cluster ${name}: durability on: ${result.durable.acknowledged} acknowledged, ` +
      `${result.durable.rejected} rejected, ${result.durable.lost.length} lost; ` +
      `off: ${result.plain.acknowledged} acknowledged, ${result.plain.rejected} rejected, ` +
      `${result.plain.lost.length} lost`,
  );
  return result;
}

function expectNone(lost: readonly Acknowledged[]): void {
  expect(lost.length, `lost: ${JSON.stringify(lost.slice(0, 3))}…`).toBe(0);
}

describe("Cluster (3 primaries, 3 replicas): acknowledged writes across a failover", () => {
  it(
    "CLUSTER FAILOVER: none lost with durability on",
    async () => {
      const { durable } = await streamThrough("CLUSTER FAILOVER", async () => {
        const [pair] = await pairs();
        if (pair === undefined) throw new Error("no primary with a replica");
        await pair.replica.cli("CLUSTER", "FAILOVER");
        await waitUntil(
          "the replica's promotion",
          async () => (await role(pair.replica)) === "master",
          20_000,
        );
      });
      expectNone(durable.lost);
      // The old primary answers MOVED for its slots: durable writes (script and WAIT in one
      // pipeline, which ioredis does not redirect) follow it to the new owner.
      expect(durable.redirects).toEqual([]);
    },
    FaultTestMs,
  );

  it(
    "a killed primary: none lost with durability on",
    async () => {
      const { durable } = await streamThrough("killed primary", async () => {
        const [pair] = await pairs();
        if (pair === undefined) throw new Error("no primary with a replica");
        await pair.primary.kill();
        await waitUntil(
          "the replica's promotion",
          async () => (await role(pair.replica)) === "master",
          20_000,
        );
        // Back (empty, with its nodes.conf) as a replica of the promoted one, so that shard
        // can confirm durable writes again.
        await pair.primary.restart();
      });
      expectNone(durable.lost);
      expect(durable.rejected).toBeGreaterThan(0);
    },
    FaultTestMs,
  );
});
