import type { Cluster } from "ioredis";
import { beforeDeadline, ReadyGate } from "../bus/bounds.js";
import { hashSlot } from "./hash-slot.js";
import { refreshSlots } from "./ioredis-cluster.js";
import {
  dropNodeConnection,
  type NodeConnection,
  NodeWaitMs,
  openNodeConnection,
  pauseBefore,
  waitForNode,
} from "./node-connection.js";
import { resendReasonOf } from "./redirects.js";
import { ClusterRedirectDelayMs } from "./settling-replies.js";

/**
 * Sends `SPUBLISH` on a Cluster to the primary that owns the channel's slot, on a connection of
 * its own per primary (see `openNodeConnection`): a publish is sent once, now, or refused,
 * never queued and resent after a reconnect the way ioredis's Cluster client does (which, under
 * a failover, delivered publishes whose callers had been told they failed, after newer ones).
 * `MOVED` and `ASK` replies (the command was not run) are followed within the deadline: a
 * `MOVED` refreshes the slot map of the Cluster client, which the publisher reads its routes from.
 */
export class ClusterPublisher {
  readonly #cluster: Cluster;
  readonly #gate: ReadyGate;
  readonly #timeoutMs: number;
  readonly #connections = new Map<string, NodeConnection>();
  readonly #onError: (error: Error) => void;
  readonly #onRefresh = (): void => this.#dropStale();
  /** When the last slot map refresh was asked for (`performance.now()` ms). */
  #lastRefresh = Number.NEGATIVE_INFINITY;

  /** `onError` hears every connection error (for messages; the events never reach the process). */
  constructor(cluster: Cluster, timeoutMs: number, onError: (error: Error) => void) {
    this.#cluster = cluster;
    this.#gate = new ReadyGate(cluster);
    this.#timeoutMs = timeoutMs;
    this.#onError = onError;
    cluster.on("refresh", this.#onRefresh);
  }

  /**
   * Publishes `message` on `channel`, following redirections until `deadline`
   * (`performance.now()` ms).
   * @throws {BusUnavailableError} or the connection's error when it cannot be sent in time.
   */
  async publish(channel: string, message: string, deadline: number): Promise<void> {
    const slot = hashSlot(channel);
    let asking: string | undefined;
    for (;;) {
      await this.#gate.wait(deadline);
      const node = asking ?? this.#cluster.slots[slot]?.[0];
      if (node === undefined) {
        await this.#refresh(deadline);
        continue;
      }
      const connection = this.#connectionTo(node);
      try {
        // The slot map only a refresh updates may name a new primary by now: look again.
        await waitForNode(connection, deadline);
      } catch (error) {
        if (performance.now() >= deadline) throw error;
        asking = undefined;
        await this.#refresh(deadline);
        continue;
      }
      try {
        if (asking === undefined) {
          await connection.redis.spublish(channel, message);
        } else {
          const replies = await connection.redis
            .pipeline()
            .asking()
            .spublish(channel, message)
            .exec();
          const failed = replies?.find(([error]) => error !== null)?.[0];
          if (failed) throw failed;
        }
        return;
      } catch (error) {
        const reason = resendReasonOf(error);
        if (reason === undefined || reason === "REGROUPED" || performance.now() >= deadline) {
          // A lost connection or a timeout: the next publish should find the slot's new owner.
          void this.#refresh(deadline).catch(() => undefined);
          throw error;
        }
        const target = (error as Error).message.split(" ")[2];
        if (reason === "ASK" && target !== undefined) {
          asking = target;
          continue;
        }
        asking = undefined;
        await this.#refresh(deadline);
      }
    }
  }

  /** Closes every connection. */
  close(): void {
    this.#cluster.off("refresh", this.#onRefresh);
    this.#gate.close();
    for (const connection of this.#connections.values()) dropNodeConnection(connection);
    this.#connections.clear();
  }

  /**
   * Refreshes the Cluster client's slot map (at most one refresh per {@link NodeWaitMs}; ioredis
   * joins concurrent ones), then pauses a moment before the caller routes again.
   */
  async #refresh(deadline: number): Promise<void> {
    const now = performance.now();
    if (now - this.#lastRefresh >= NodeWaitMs) {
      this.#lastRefresh = now;
      await beforeDeadline(refreshSlots(this.#cluster), deadline, "slot map refresh").catch(
        () => undefined,
      );
    }
    await pauseBefore(deadline, ClusterRedirectDelayMs);
  }

  #connectionTo(node: string): NodeConnection {
    const existing = this.#connections.get(node);
    if (existing !== undefined) return existing;
    const connection = openNodeConnection(this.#cluster, node, this.#timeoutMs);
    connection.redis.on("error", this.#onError);
    // A connection that closes may be to a primary that is gone: learn the new slot map early.
    connection.redis.on("close", () => {
      if (!connection.dropped) void this.#refresh(performance.now() + this.#timeoutMs);
    });
    this.#connections.set(node, connection);
    return connection;
  }

  /** After a slot map refresh: closes the connections to nodes that own no slot any more. */
  #dropStale(): void {
    if (this.#connections.size === 0) return;
    const owners = new Set<string>();
    for (const nodes of this.#cluster.slots) {
      const owner = nodes?.[0];
      if (owner !== undefined) owners.add(owner);
    }
    for (const [node, connection] of this.#connections) {
      if (owners.has(node)) continue;
      this.#connections.delete(node);
      dropNodeConnection(connection);
    }
  }
}
