import type { SessionStorage } from "@vmcp/session-core";
import { MemoryStorage } from "@vmcp/store-memory";
import type { StoreConfig } from "../config/gateway-config.js";
import { GatewayConfigError } from "../errors.js";

/**
 * The `SessionStorage` the configuration names: `memory` (an in-process LRU, one replica only)
 * or `redis` (standalone URL, Sentinel or Cluster; shared by every replica).
 */
export async function createStorage(config: StoreConfig): Promise<SessionStorage> {
  if (config.kind === "memory") {
    return new MemoryStorage(
      config.maxSessions === undefined ? {} : { maxSessions: config.maxSessions },
    );
  }
  // Loaded only when configured, so a memory-store gateway never loads ioredis.
  const { createRedisStorage } = await import("./create-redis-storage.js");
  return createRedisStorage(config);
}

/** A one-line description of the store for logs and the CLI, without passwords. */
export function describeStore(config: StoreConfig): string {
  if (config.kind === "memory") return "memory";
  if (config.url !== undefined) {
    const url = new URL(config.url);
    url.password = url.password === "" ? "" : "***";
    return `redis ${url.toString()}`;
  }
  if (config.sentinel !== undefined) {
    return `redis sentinel ${config.sentinel.masterName}@${config.sentinel.sentinels.join(",")}`;
  }
  return `redis cluster ${config.cluster?.nodes.join(",") ?? ""}`;
}

/** The configuration field that chose the store (`store.url`, `store.sentinel`, ...), for messages. */
function storeField(config: StoreConfig): string {
  if (config.kind === "memory") return "store";
  if (config.url !== undefined) return "store.url";
  return config.sentinel !== undefined ? "store.sentinel" : "store.cluster";
}

/**
 * The configuration error to stop with when `error` is the store refusing its configuration for
 * good, which no retry cures (a Redis database index the server lacks: `RedisDatabaseError`),
 * naming the field and the store without passwords; `undefined` for any other error.
 */
export async function storeRefusal(
  config: StoreConfig,
  error: unknown,
): Promise<GatewayConfigError | undefined> {
  if (config.kind === "memory") return undefined;
  // Loaded only for a redis store (already loaded by then), as in createStorage.
  const { RedisDatabaseError } = await import("@vmcp/store-redis");
  if (!(error instanceof RedisDatabaseError)) return undefined;
  return new GatewayConfigError(storeField(config), `${describeStore(config)}: ${error.message}`, {
    cause: error,
  });
}
