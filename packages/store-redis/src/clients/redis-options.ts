import type { Cluster, ClusterNode, ClusterOptions, Redis, RedisOptions } from "ioredis";
import { ClusterRedirectDelayMs } from "../cluster/settling-replies.js";
import type { DurabilityOptions } from "../storage/durability.js";
import { assertClusterDatabase } from "./database-select.js";
import { IoredisStoreClient, isIoredisClient } from "./ioredis-client.js";
import { loadIoredis } from "./load-ioredis.js";
import { type NodeRedisConnection, NodeRedisStoreClient } from "./node-redis-client.js";
import type { StoreClient, StoreClientSetup } from "./store-client.js";

/** The default bound on every operation, ms: {@link RedisStorageOptions.timeoutMs}. */
export const DefaultTimeoutMs = 1_500;

/** The default SCAN `COUNT` per round trip for `listIds`. */
export const DefaultListBatchSize = 250;

/** The largest SCAN `COUNT` `listIds` sends, whatever batch size is asked for. */
export const MaxListBatchSize = 10_000;

/** The longest pause between reconnection attempts of a client the storage creates, ms. */
export const MaxReconnectDelayMs = 500;

/**
 * The pause before reconnection attempt `attempt` (from 1) of every connection the storage and
 * the bus create, ms: 100 ms more per attempt, at most {@link MaxReconnectDelayMs}.
 */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(attempt * 100, MaxReconnectDelayMs);
}

/**
 * How to reach Redis. Give exactly one of `url`, `redis`, `cluster` or `client` (`url` and
 * `redis` combine). `url`, `redis` and `cluster` build an ioredis client (ioredis must be
 * installed); `client` takes an ioredis or a node-redis one.
 */
export interface RedisStorageOptions {
  /**
   * A Redis URL (`redis://[user:password@]host:port/db`, or `rediss://` for TLS). Options in
   * `redis` apply on top of it. A database index (`/db`, or `redis.db`) that the server refuses
   * stops the storage with `RedisDatabaseError` instead of falling back to database 0.
   */
  readonly url?: string;
  /**
   * ioredis options for a standalone server, or for Sentinel (`sentinels` and `name`). TLS,
   * `username`/`password` (AUTH and ACL users) pass through. The storage overrides the
   * failure-handling options (see the README); `keyPrefix` is refused: use {@link keyPrefix}.
   */
  readonly redis?: RedisOptions;
  /** A Redis Cluster: its startup nodes and ioredis Cluster options. */
  readonly cluster?: {
    readonly nodes: readonly ClusterNode[];
    readonly options?: ClusterOptions;
  };
  /**
   * An existing client: an ioredis `Redis` or `Cluster`, or a node-redis (v5) client, Sentinel or
   * Cluster (`createClient`, `createSentinel`, `createCluster`). The storage never closes it (its
   * `close()` only removes the storage's listener); it should not use ioredis's own `keyPrefix`.
   */
  readonly client?: Redis | Cluster | NodeRedisConnection;
  /**
   * The prefix of every key, without braces. Default `"vmcp:session:"`. Sessions live at
   * `<prefix>{<id>}`.
   */
  readonly keyPrefix?: string;
  /**
   * The bound on every call, ms: waiting for a connection plus the command. Past it the call
   * rejects with `StorageUnavailableError`. Default {@link DefaultTimeoutMs} (1500 ms).
   */
  readonly timeoutMs?: number;
  /** The clock, epoch ms, for createdAt/updatedAt and deadline checks. Default `Date.now`. */
  readonly now?: () => number;
  /**
   * Write durability: each write waits (`WAIT`, pipelined with its script) until this many
   * replicas confirmed it, else rejects with `WriteNotReplicatedError`. Default off (Redis's
   * asynchronous replication: a failover can lose the last acknowledged writes). See the README.
   */
  readonly durability?: DurabilityOptions;
}

/** A client the storage made, or was handed, and whether it owns it. */
export interface ResolvedClient {
  readonly client: Redis | Cluster;
  readonly owned: boolean;
}

/**
 * The storage's client adapter for `options`: the client handed in (ioredis or node-redis), or
 * an ioredis client built from `url`/`redis`/`cluster` (see {@link resolveClient}).
 * @throws {TypeError} when not exactly one source is given, or ioredis's `keyPrefix` is set.
 * @throws {RedisClientMissingError} when a client must be built and ioredis is not installed.
 */
export function resolveStoreClient(
  options: RedisStorageOptions,
  setup: StoreClientSetup,
): StoreClient {
  const client = options.client;
  if (client !== undefined && !isIoredisClient(client)) {
    checkOneSource(options);
    return new NodeRedisStoreClient(client, setup);
  }
  const resolved = resolveClient(options, setup.timeoutMs);
  return new IoredisStoreClient(resolved.client, resolved.owned, setup);
}

/**
 * Builds the ioredis client described by `options`, with failure handling that keeps every call
 * bounded: no offline queue (calls wait for `ready` themselves, within their bound), no resend of
 * commands lost with a connection, a command timeout, a connect timeout, fast reconnection, a
 * reconnect on `READONLY` (a demoted master after a failover) and, with Sentinel, ioredis's
 * failover detector (a reconnect on Sentinel's `+switch-master`).
 * @throws {TypeError} when not exactly one source is given, ioredis's `keyPrefix` is set,
 *   `client` is not an ioredis client, or a Cluster's `redisOptions` name a database other than 0.
 * @throws {RedisClientMissingError} when a client must be built and ioredis is not installed.
 */
export function resolveClient(options: RedisStorageOptions, timeoutMs: number): ResolvedClient {
  checkOneSource(options);
  if (options.client !== undefined) {
    if (!isIoredisClient(options.client)) {
      throw new TypeError("an ioredis Redis or Cluster client is needed here");
    }
    if (hasKeyPrefix(options.client.options)) {
      throw new TypeError("the given client uses ioredis keyPrefix; use RedisStorage's keyPrefix");
    }
    return { client: options.client, owned: false };
  }
  const bounded = {
    commandTimeout: timeoutMs,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    reconnectOnError: (error: Error) => error.message.startsWith("READONLY"),
    // Replies in RESP2 shapes (hashes as flat arrays) whatever the protocol.
    replyMapping: "legacy",
  } as const satisfies RedisOptions;
  if (options.cluster !== undefined) {
    const clusterOptions = options.cluster.options ?? {};
    if (hasKeyPrefix(clusterOptions) || hasKeyPrefix(clusterOptions.redisOptions)) {
      throw new TypeError("ioredis keyPrefix is not supported; use RedisStorage's keyPrefix");
    }
    assertClusterDatabase(clusterOptions);
    const { Cluster } = loadIoredis();
    const client = new Cluster([...options.cluster.nodes], {
      ...clusterOptions,
      enableOfflineQueue: false,
      // Ready once the slot map is known, even while `cluster_state` is fail (a primary down):
      // calls to its slots still fail, bounded, and listing reaches the healthy slots.
      enableReadyCheck: false,
      // While a failover settles, the old and new primary can answer MOVED back and forth, and
      // the cluster can answer CLUSTERDOWN for a moment: follow redirections with a short pause
      // for as long as the call's bound allows, instead of failing after 16 instant hops.
      retryDelayOnMoved: clusterOptions.retryDelayOnMoved ?? ClusterRedirectDelayMs,
      maxRedirections:
        clusterOptions.maxRedirections ??
        Math.max(16, Math.ceil(timeoutMs / ClusterRedirectDelayMs)),
      clusterRetryStrategy: reconnectDelayMs,
      slotsRefreshTimeout: Math.min(clusterOptions.slotsRefreshTimeout ?? timeoutMs, timeoutMs),
      redisOptions: { ...clusterOptions.redisOptions, ...bounded },
    });
    return { client, owned: true };
  }
  const redisOptions = options.redis ?? {};
  if (hasKeyPrefix(redisOptions)) {
    throw new TypeError("ioredis keyPrefix is not supported; use RedisStorage's keyPrefix");
  }
  const merged = {
    ...redisOptions,
    ...bounded,
    enableOfflineQueue: false,
    retryStrategy: reconnectDelayMs,
    sentinelRetryStrategy: reconnectDelayMs,
    // Sentinel: subscribe to +switch-master and drop the connection to a master the moment
    // Sentinel replaces it, instead of writing to it until it is demoted (READONLY); writes
    // that reach a replaced master are discarded when it rejoins as a replica.
    failoverDetector: true,
    sentinelReconnectStrategy: reconnectDelayMs,
  } satisfies RedisOptions;
  const { Redis } = loadIoredis();
  const client = options.url === undefined ? new Redis(merged) : new Redis(options.url, merged);
  return { client, owned: true };
}

function checkOneSource(options: RedisStorageOptions): void {
  const sources = [
    options.url !== undefined || options.redis !== undefined,
    options.cluster !== undefined,
    options.client !== undefined,
  ].filter(Boolean).length;
  if (sources !== 1) {
    throw new TypeError(
      "RedisStorage needs exactly one of: url and/or redis options, cluster, or client",
    );
  }
}

function hasKeyPrefix(options: unknown): boolean {
  if (typeof options !== "object" || options === null) return false;
  const prefix: unknown = (options as { keyPrefix?: unknown }).keyPrefix;
  return typeof prefix === "string" && prefix.length > 0;
}
