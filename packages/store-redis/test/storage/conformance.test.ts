import {
  type RedisCluster,
  type RedisServer,
  requireRedisServer,
  type SentinelGroup,
  startRedisCluster,
  startRedisServer,
  startSentinelGroup,
} from "@vmcp/redis-harness";
import { describeSessionStorageConformance } from "@vmcp/storage-test-suite";
import { RedisStorage, type RedisStorageOptions } from "@vmcp/store-redis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, it } from "vitest";
import { uniquePrefix } from "../fixtures.js";
import {
  nodeRedisClient,
  nodeRedisCluster,
  nodeRedisSentinel,
  type OpenNodeRedis,
} from "../node-redis.js";

requireRedisServer();

/**
 * Runs the conformance suite over one topology: each test gets a storage under a fresh key
 * prefix (so it starts empty), and replicas are further storages with their own connections.
 */
function conformance(name: string, connection: () => RedisStorageOptions): void {
  describeSessionStorageConformance(
    { describe, it, beforeEach, afterEach },
    {
      name,
      setup: async () => {
        const keyPrefix = uniquePrefix("conformance");
        const open = () => new RedisStorage({ ...connection(), keyPrefix });
        return { storage: open(), openReplica: async () => open() };
      },
    },
  );
}

/**
 * The same suite with a node-redis client the application owns: each storage (and each replica)
 * gets a connection of its own, closed after the test.
 */
function nodeRedisConformance(name: string, connect: () => Promise<OpenNodeRedis>): void {
  describeSessionStorageConformance(
    { describe, it, beforeEach, afterEach },
    {
      name,
      setup: async () => {
        const keyPrefix = uniquePrefix("conformance");
        const connections: OpenNodeRedis[] = [];
        const open = async () => {
          const connection = await connect();
          connections.push(connection);
          return new RedisStorage({ client: connection.client, keyPrefix });
        };
        return {
          storage: await open(),
          openReplica: open,
          dispose: async () => {
            for (const connection of connections) await connection.close();
          },
        };
      },
    },
  );
}

describe("standalone", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.close();
  });
  conformance("RedisStorage (standalone)", () => ({ url: server.url }));
  nodeRedisConformance("RedisStorage (standalone, node-redis)", () => nodeRedisClient(server.url));
});

describe("Sentinel: 1 master, 1 replica, 1 sentinel", () => {
  let group: SentinelGroup;
  beforeAll(async () => {
    group = await startSentinelGroup();
  });
  afterAll(async () => {
    await group?.close();
  });
  conformance("RedisStorage (Sentinel)", () => ({
    redis: { sentinels: [...group.sentinels], name: group.masterName },
  }));
  nodeRedisConformance("RedisStorage (Sentinel, node-redis)", () =>
    nodeRedisSentinel(group.masterName, group.sentinels),
  );
});

describe("Cluster of 3 primaries", () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster({ primaries: 3 });
  });
  afterAll(async () => {
    await cluster?.close();
  });
  conformance("RedisStorage (Cluster)", () => ({ cluster: { nodes: [...cluster.nodes] } }));
  nodeRedisConformance("RedisStorage (Cluster, node-redis)", () => nodeRedisCluster(cluster.nodes));
});
