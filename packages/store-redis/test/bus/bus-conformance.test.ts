import {
  type RedisCluster,
  type RedisServer,
  requireRedisServer,
  type SentinelGroup,
  startRedisCluster,
  startRedisServer,
  startSentinelGroup,
} from "@vmcp/redis-harness";
import { type BusFaults, describeSessionMessageBusConformance } from "@vmcp/storage-test-suite";
import { RedisMessageBus, type RedisMessageBusOptions } from "@vmcp/store-redis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, it } from "vitest";
import { uniquePrefix } from "../fixtures.js";

requireRedisServer();

const maxMessageBytes = 4_096;
const timeoutMs = 1_500;

/** Cuts every normal and pub/sub client connection of `servers` (redis-cli's own is spared). */
async function killClients(servers: readonly RedisServer[]): Promise<void> {
  let killed = 0;
  for (const server of servers) {
    for (const type of ["pubsub", "normal"]) {
      killed += Number(await server.cli("CLIENT", "KILL", "TYPE", type));
    }
  }
  // The buses of the test hold at least a publisher and a subscriber connection.
  if (killed < 2) throw new Error(`CLIENT KILL cut ${killed} connections, expected the buses'`);
}

/**
 * Runs the bus suite over one topology: each test gets buses under a fresh key prefix (so their
 * channels are theirs alone); replicas are further buses with their own connections.
 */
function conformance(
  name: string,
  connection: () => RedisMessageBusOptions,
  faults: () => BusFaults,
): void {
  describeSessionMessageBusConformance(
    { describe, it, beforeEach, afterEach },
    {
      name,
      maxMessageBytes,
      timeoutMs,
      faults: true,
      setup: async () => {
        const keyPrefix = uniquePrefix("bus");
        const open = () =>
          new RedisMessageBus({ ...connection(), keyPrefix, timeoutMs, maxMessageBytes });
        return { bus: open(), openReplica: async () => open(), faults: faults() };
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
  conformance(
    "RedisMessageBus (standalone)",
    () => ({ url: server.url }),
    () => ({
      dropConnections: () => killClients([server]),
      // Stopped: connections are refused until the restart.
      makeUnreachable: () => server.stop(),
      restore: () => server.restart(),
    }),
  );
});

describe("Sentinel: 1 master, 1 replica, 1 sentinel", () => {
  let group: SentinelGroup;
  beforeAll(async () => {
    // No failover during the suite: the fault cases freeze the master for a few seconds.
    group = await startSentinelGroup({ downAfterMs: 60_000 });
  });
  afterAll(async () => {
    await group?.close();
  });
  conformance(
    "RedisMessageBus (Sentinel)",
    () => ({ redis: { sentinels: [...group.sentinels], name: group.masterName } }),
    () => ({
      dropConnections: () => killClients([group.master]),
      // Frozen: connections stay open and nothing answers (a hung server).
      makeUnreachable: async () => group.master.pause(),
      restore: async () => group.master.resume(),
    }),
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
  conformance(
    "RedisMessageBus (Cluster)",
    () => ({ cluster: { nodes: [...cluster.nodes] } }),
    () => ({
      dropConnections: () => killClients(cluster.servers),
      // Every node frozen at once: nobody answers, and no node sees another fail.
      makeUnreachable: async () => {
        for (const server of cluster.servers) server.pause();
      },
      restore: async () => {
        for (const server of cluster.servers) server.resume();
      },
    }),
  );
});
