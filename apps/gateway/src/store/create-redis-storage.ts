import type { SessionStorage } from "@vmcp/session-core";
import { RedisStorage, type RedisStorageOptions } from "@vmcp/store-redis";
import type { StoreConfig } from "../config/gateway-config.js";

/**
 * A `RedisStorage` for the `redis` store configuration: a standalone URL, Sentinel (master name
 * and sentinels) or Cluster (seed nodes), with the configured key prefix.
 */
export function createRedisStorage(
  config: Extract<StoreConfig, { kind: "redis" }>,
): SessionStorage {
  const prefix = config.keyPrefix === undefined ? {} : { keyPrefix: config.keyPrefix };
  let options: RedisStorageOptions;
  if (config.sentinel !== undefined) {
    options = {
      ...prefix,
      redis: {
        name: config.sentinel.masterName,
        sentinels: config.sentinel.sentinels.map(hostPort),
        ...(config.sentinel.password === undefined ? {} : { password: config.sentinel.password }),
      },
    };
  } else if (config.cluster !== undefined) {
    const password = config.cluster.password;
    options = {
      ...prefix,
      cluster: {
        nodes: config.cluster.nodes.map(hostPort),
        ...(password === undefined ? {} : { options: { redisOptions: { password } } }),
      },
    };
  } else {
    options = { ...prefix, url: config.url ?? "" };
  }
  return new RedisStorage(options);
}

function hostPort(value: string): { host: string; port: number } {
  const at = value.lastIndexOf(":");
  return { host: value.slice(0, at), port: Number(value.slice(at + 1)) };
}
