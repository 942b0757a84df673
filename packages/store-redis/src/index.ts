/**
 * @vmcp/store-redis: a `SessionStorage` on Redis through ioredis or node-redis, for many gateway
 * replicas sharing sessions, and the `SessionMessageBus` beside it (pub/sub; sharded pub/sub on
 * Cluster). Standalone, Sentinel and Cluster; native TTL; one round trip per operation; typed,
 * bounded failures.
 * @packageDocumentation
 */

export { BusChannelSuffix } from "./bus/channel.js";
export {
  DefaultMaxPendingPublishes,
  RedisMessageBus,
  type RedisMessageBusOptions,
} from "./bus/redis-message-bus.js";
export { RedisDatabaseError } from "./clients/database-select.js";
export type {
  NodeRedisClient,
  NodeRedisCluster,
  NodeRedisConnection,
  NodeRedisSentinel,
} from "./clients/node-redis-client.js";
export { RedisClientMissingError } from "./clients/redis-client-missing.js";
export {
  DefaultListBatchSize,
  DefaultTimeoutMs,
  MaxListBatchSize,
  MaxReconnectDelayMs,
  type RedisStorageOptions,
} from "./clients/redis-options.js";
export {
  type DurabilityOptions,
  WriteNotReplicatedError,
} from "./storage/durability.js";
export { DefaultKeyPrefix } from "./storage/key-layout.js";
export { RedisStorage } from "./storage/redis-storage.js";
