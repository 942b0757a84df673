import type { Cluster, Redis, RedisOptions } from "ioredis";
import { busConnectionBounds, ReadyGate } from "../bus/bounds.js";
import { loadIoredis } from "../clients/load-ioredis.js";

/** A connection of the bus's own to one Cluster node, for publishing or for sharded subscriptions. */
export interface NodeConnection {
  /** The node, `host:port` as the slot map names it. */
  readonly node: string;
  readonly redis: Redis;
  readonly gate: ReadyGate;
  /** Closed by its owner (idle, or the bus closed): its events no longer count. */
  dropped: boolean;
}

/**
 * Opens (lazily: at its first command) a connection to Cluster node `node` with the Cluster
 * client's node options (TLS, credentials), bounded like every connection of the bus: no offline
 * queue (a command is sent now or refused), no resend of a command lost with its connection, a
 * command and connect timeout of `timeoutMs`, reconnection every 100 to 500 ms. ioredis's own
 * node connections keep an offline queue and resend commands after a reconnect, which could send
 * a publish the caller was told had failed, seconds later and after newer ones.
 */
export function openNodeConnection(
  cluster: Cluster,
  node: string,
  timeoutMs: number,
): NodeConnection {
  const separator = node.lastIndexOf(":");
  const host = node.slice(0, separator);
  const port = Number(node.slice(separator + 1));
  // The Cluster client's node options, reply mapping aside (a subscriber has nothing to map).
  const { replyMapping: _mapping, ...inherited } = cluster.options.redisOptions ?? {};
  const options = {
    ...inherited,
    host,
    port,
    ...busConnectionBounds(timeoutMs),
    // Sharded subscriptions are placed again by the link, on the owner the slot map names then.
    autoResubscribe: false,
    enableReadyCheck: false,
  } satisfies RedisOptions;
  // ioredis is an optional peer: loaded here, not at import (see clients/load-ioredis.ts).
  const { Redis } = loadIoredis();
  const redis = new Redis(options);
  return { node, redis, gate: new ReadyGate(redis), dropped: false };
}

/** Closes a connection opened by {@link openNodeConnection}; its `error` listeners stay. */
export function dropNodeConnection(connection: NodeConnection): void {
  connection.dropped = true;
  connection.gate.close();
  connection.redis.disconnect();
}

/**
 * How long a caller waits for its connection to a slot's owner before it looks at the slot map
 * again, ms: a connection not ready by then may be to a primary that is gone, and a refreshed
 * slot map may name its successor.
 */
export const NodeWaitMs = 250;

/**
 * Waits until `connection` is ready, for {@link NodeWaitMs} at most and never past `deadline`
 * (`performance.now()` ms).
 * @throws {BusUnavailableError} when it is not ready by then.
 */
export function waitForNode(connection: NodeConnection, deadline: number): Promise<void> {
  return connection.gate.wait(Math.min(deadline, performance.now() + NodeWaitMs));
}

/** Waits `ms`, or less when `deadline` (`performance.now()` ms) comes first. */
export function pauseBefore(deadline: number, ms: number): Promise<void> {
  const wait = Math.max(0, Math.min(ms, deadline - performance.now()));
  return new Promise((resolve) => setTimeout(resolve, wait));
}
