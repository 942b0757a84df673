import {
  type RedisCluster,
  type RedisServer,
  requireRedisServer,
  startRedisCluster,
  waitUntil,
} from "@vmcp/redis-harness";
import { RedisStorage } from "@vmcp/store-redis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  durabilityOptions,
  expectNone,
  FaultTestMs,
  streamThroughFault,
} from "../fault-streams.js";

requireRedisServer();

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
    ...durabilityOptions(durable),
  });
  opened.push(storage);
  return storage;
}

/** A primary and its replica. */
interface Pair {
  readonly primary: RedisServer;
  readonly replica: RedisServer;
}

/** Each running primary with its replica whose link is up. */
async function pairs(): Promise<Pair[]> {
  const found: Pair[] = [];
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

/**
 * Applies `fault` to the first primary with an in-sync replica, then waits (up to 20 s) until
 * that replica is a master; resolves the pair.
 */
async function failOver(fault: (pair: Pair) => Promise<void>): Promise<Pair> {
  const [pair] = await pairs();
  if (pair === undefined) throw new Error("no primary with a replica");
  await fault(pair);
  await waitUntil(
    "the replica's promotion",
    async () => (await role(pair.replica)) === "master",
    20_000,
  );
  return pair;
}

/** The refusals in `rejections` that named a Cluster redirect. */
function redirects(rejections: readonly string[]): string[] {
  return rejections.filter((message) => /MOVED|ASK/.test(message));
}

/** {@link streamThroughFault} on this cluster, the log line naming it. */
function streamThrough(name: string, fault: () => Promise<void>) {
  return streamThroughFault({ name: `Cluster ${name}`, open, fault });
}

describe("Cluster (3 primaries, 3 replicas): acknowledged writes across a failover", () => {
  it(
    "CLUSTER FAILOVER: none lost with durability on",
    async () => {
      const { durable } = await streamThrough("CLUSTER FAILOVER", async () => {
        await failOver(async ({ replica }) => {
          await replica.cli("CLUSTER", "FAILOVER");
        });
      });
      expectNone(durable.lost);
      // The old primary answers MOVED for its slots: durable writes (script and WAIT in one
      // pipeline, which ioredis does not redirect) follow it to the new owner.
      expect(redirects(durable.rejections)).toEqual([]);
    },
    FaultTestMs,
  );

  it(
    "a killed primary: none lost with durability on",
    async () => {
      const { durable } = await streamThrough("killed primary", async () => {
        const { primary } = await failOver(({ primary }) => primary.kill());
        // Back (empty, with its nodes.conf) as a replica of the promoted one, so that shard
        // can confirm durable writes again.
        await primary.restart();
      });
      expectNone(durable.lost);
      expect(durable.rejected).toBeGreaterThan(0);
    },
    FaultTestMs,
  );
});
