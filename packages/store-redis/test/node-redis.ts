/**
 * node-redis (v5) connections for the tests, as an application would make them: a client, a
 * Sentinel or a Cluster, connected, with an `error` listener of the application's own. Each
 * comes with `close()`; the storage never closes a client it was handed.
 */
import type { HostPort } from "@vmcp/redis-harness";
import type { NodeRedisConnection } from "@vmcp/store-redis";
import { createClient, createCluster, createSentinel } from "redis";

/** A connected node-redis connection and the way to close it. */
export interface OpenNodeRedis {
  readonly client: NodeRedisConnection;
  close(): Promise<void>;
}

/** Reconnection every 100 ms: a test server that returns is found again quickly. */
const reconnectStrategy = (): number => 100;

export async function nodeRedisClient(url: string): Promise<OpenNodeRedis> {
  const client = createClient({ url, socket: { reconnectStrategy, connectTimeout: 1_000 } });
  client.on("error", () => undefined);
  await client.connect();
  return { client, close: async () => client.destroy() };
}

export async function nodeRedisSentinel(
  name: string,
  sentinels: readonly HostPort[],
): Promise<OpenNodeRedis> {
  const sentinel = createSentinel({
    name,
    sentinelRootNodes: sentinels.map(({ host, port }) => ({ host, port })),
  });
  sentinel.on("error", () => undefined);
  await sentinel.connect();
  return { client: sentinel, close: async () => sentinel.destroy() };
}

export async function nodeRedisCluster(nodes: readonly HostPort[]): Promise<OpenNodeRedis> {
  const cluster = createCluster({
    rootNodes: nodes.map(({ host, port }) => ({ url: `redis://${host}:${port}` })),
    defaults: { socket: { reconnectStrategy, connectTimeout: 1_000 } },
  });
  cluster.on("error", () => undefined);
  await cluster.connect();
  return { client: cluster, close: async () => cluster.destroy() };
}
