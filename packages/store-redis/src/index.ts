/**
 * @vmcp/store-redis: a `SessionStorage` on Redis through ioredis or node-redis, for many gateway
 * replicas sharing sessions, and the `SessionMessageBus` beside it (pub/sub; sharded pub/sub on
 * Cluster). Standalone, Sentinel and Cluster; native TTL; one round trip per operation; typed,
 * bounded failures.
 * @packageDocumentation
 */

export { BusChannelSuffix } from "./bus-channel.js";
export { RedisDatabaseError } from "./database-select.js";
export {
  type DurabilityOptions,
  WriteNotReplicatedError,
} from "./durability.js";
export { DefaultKeyPrefix } from "./key-layout.js";
export type {
  NodeRedisClient,
  NodeRedisCluster,
  NodeRedisConnection,
  NodeRedisSentinel,
} from "./node-redis-client.js";
export { RedisClientMissingError } from "./redis-client-missing.js";
export {
  DefaultMaxPendingPublishes,
  RedisMessageBus,
  type RedisMessageBusOptions,
} from "./redis-message-bus.js";
export {
  DefaultListBatchSize,
  DefaultTimeoutMs,
  MaxListBatchSize,
  MaxReconnectDelayMs,
  type RedisStorageOptions,
} from "./redis-options.js";
export { RedisStorage } from "./redis-storage.js";
