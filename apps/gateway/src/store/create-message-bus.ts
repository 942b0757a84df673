import type { SessionMessageBus } from "@vmcp/session-core";
import { InProcessMessageBus } from "@vmcp/store-memory";
import type { RedisMessageBusOptions } from "@vmcp/store-redis";
import type { StoreConfig } from "../config/gateway-config.js";
import { hostPort } from "./create-redis-storage.js";

/**
 * The `SessionMessageBus` that goes with the configured store, so one configuration picks both:
 * `memory` gives an `InProcessMessageBus` (one replica: every message stays in this process);
 * `redis` gives a `RedisMessageBus` on the same Redis as the storage (standalone URL, Sentinel or
 * Cluster, same password and key prefix), whose session channels hash to the slot of the
 * session's keys. The bus keeps its own defaults (`DefaultBusTimeoutMs`, 1500 ms, the same bound
 * as a storage call; messages up to 1 MiB).
 */
export async function createMessageBus(config: StoreConfig): Promise<SessionMessageBus> {
  if (config.kind === "memory") return new InProcessMessageBus();
  // Loaded only when configured, so a memory-store gateway never loads ioredis.
  const { RedisMessageBus } = await import("@vmcp/store-redis");
  return new RedisMessageBus(redisMessageBusOptions(config));
}

/**
 * The `RedisMessageBus` options of a `redis` store configuration: the storage's connection
 * (see `createRedisStorage`) without what only a storage uses (durability). No auto-pipelining:
 * a publish is sent at once, and a subscriber connection has nothing to batch.
 */
export function redisMessageBusOptions(
  config: Extract<StoreConfig, { kind: "redis" }>,
): RedisMessageBusOptions {
  const prefix = config.keyPrefix === undefined ? {} : { keyPrefix: config.keyPrefix };
  if (config.sentinel !== undefined) {
    const { masterName, sentinels, password } = config.sentinel;
    return {
      ...prefix,
      redis: {
        name: masterName,
        sentinels: sentinels.map(hostPort),
        ...(password === undefined ? {} : { password }),
      },
    };
  }
  if (config.cluster !== undefined) {
    const { nodes, password } = config.cluster;
    return {
      ...prefix,
      cluster: {
        nodes: nodes.map(hostPort),
        ...(password === undefined ? {} : { options: { redisOptions: { password } } }),
      },
    };
  }
  return { ...prefix, url: config.url ?? "" };
}
