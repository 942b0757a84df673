/**
 * @vmcp/store-redis: a `SessionStorage` on Redis through ioredis, for many gateway replicas
 * sharing sessions. Standalone, Sentinel and Cluster; native TTL; one round trip per operation;
 * typed, bounded failures.
 * @packageDocumentation
 */
export {
  type DurabilityOptions,
  WriteNotReplicatedError,
} from "./durability.js";
export { DefaultKeyPrefix } from "./key-layout.js";
export {
  DefaultListBatchSize,
  DefaultTimeoutMs,
  MaxListBatchSize,
  MaxReconnectDelayMs,
  type RedisStorageOptions,
} from "./redis-options.js";
export { RedisStorage } from "./redis-storage.js";
