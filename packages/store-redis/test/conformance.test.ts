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
import { uniquePrefix } from "./fixtures.js";

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

describe("standalone", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.close();
  });
  conformance("RedisStorage (standalone)", () => ({ url: server.url }));
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
});
