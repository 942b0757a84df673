import { BusUnavailableError } from "@vmcp/session-core/storage";
import type { Cluster } from "ioredis";
import { MaxReconnectDelayMs } from "../clients/redis-options.js";
import { hashSlot } from "../cluster/hash-slot.js";
import { refreshSlots } from "../cluster/ioredis-cluster.js";
import {
  dropNodeConnection,
  type NodeConnection,
  openNodeConnection,
  pauseBefore,
  waitForNode,
} from "../cluster/node-connection.js";
import { ClusterRedirectDelayMs } from "../cluster/settling-replies.js";
import { beforeDeadline, ReadyGate } from "./bounds.js";
import type { SubscriberLink, SubscriberLinkEvents } from "./subscriber-link.js";

/** The first pause before a repair tries again, ms; it grows by this much per attempt. */
const RepairStepMs = 100;

/** Where a wanted channel is subscribed now (`undefined`: nowhere yet, or lost). */
interface Placement {
  readonly slot: number;
  node: string | undefined;
  /** The server may have dropped it (an unsolicited `sunsubscribe`): subscribe it again. */
  suspect: boolean;
}

/**
 * A `SubscriberLink` for a Redis Cluster on sharded pub/sub: each channel is `SSUBSCRIBE`d on a
 * connection of its own to the primary that owns the channel's slot (a session's channel has the
 * session's hash tag, so that is the shard of the session's keys). ioredis's own sharded
 * subscribers are not used: the link places channels itself, so it can follow every way a slot
 * changes owner and keep delivery at most once.
 *
 * Following the slot: a channel is placed again (subscribed on the owner the slot map now
 * names) whenever its connection closes, the server unsubscribes it on its own (Redis does when
 * its slot moves away or its primary is demoted; ioredis reports it as `moved`), an
 * `SSUBSCRIBE` answers `MOVED`, or the publishing client refreshes its slot map. A repair
 * refreshes the slot map and retries, 100 ms more apart each time up to 500 ms, until every
 * channel is placed again. Messages count only from the connection a channel is placed on, so a
 * demoted primary that still forwards its shard's messages can never deliver one twice.
 */
export class ShardedSubscriberLink implements SubscriberLink {
  readonly #cluster: Cluster;
  readonly #gate: ReadyGate;
  readonly #timeoutMs: number;
  readonly #events: SubscriberLinkEvents;
  readonly #connections = new Map<string, NodeConnection>();
  readonly #wanted = new Map<string, Placement>();
  #repairTimer: NodeJS.Timeout | undefined;
  #repairing = false;
  #repairAgain = false;
  #repairAttempts = 0;
  #lastError: Error | undefined;
  #closed = false;
  readonly #onRefresh = (): void => this.#scheduleRepair(0, false);

  constructor(cluster: Cluster, timeoutMs: number, events: SubscriberLinkEvents) {
    this.#cluster = cluster;
    this.#gate = new ReadyGate(cluster);
    this.#timeoutMs = timeoutMs;
    this.#events = events;
    cluster.on("refresh", this.#onRefresh);
  }

  async subscribe(channel: string, deadline: number): Promise<void> {
    let placement = this.#wanted.get(channel);
    if (placement === undefined) {
      placement = { slot: hashSlot(channel), node: undefined, suspect: false };
      this.#wanted.set(channel, placement);
    }
    await beforeDeadline(
      this.#place(channel, deadline),
      deadline,
      "subscribe",
      () => this.#lastError,
    );
  }

  async unsubscribe(channel: string, deadline: number): Promise<void> {
    const placement = this.#wanted.get(channel);
    this.#wanted.delete(channel);
    const node = placement?.node;
    if (node === undefined) return;
    const connection = this.#connections.get(node);
    if (connection === undefined || connection.redis.status !== "ready") {
      // The connection is gone or going: its subscriptions go with it.
      return;
    }
    await beforeDeadline(
      connection.redis.sunsubscribe(channel),
      deadline,
      "unsubscribe",
      () => this.#lastError,
    );
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#repairTimer);
    this.#cluster.off("refresh", this.#onRefresh);
    for (const connection of this.#connections.values()) dropNodeConnection(connection);
    this.#connections.clear();
    this.#gate.close();
    this.#wanted.clear();
  }

  /**
   * Subscribes `channel` on the primary that owns its slot now, following `MOVED` with a slot map
   * refresh until `deadline`; then, if it was placed elsewhere before, unsubscribes it there.
   */
  async #place(channel: string, deadline: number): Promise<void> {
    for (;;) {
      if (this.#closed) throw new BusUnavailableError("the Redis message bus is closing");
      await this.#gate.wait(deadline);
      const placement = this.#wanted.get(channel);
      if (placement === undefined) return;
      const owner = this.#cluster.slots[placement.slot]?.[0];
      if (owner === undefined) {
        // No owner known (the slot map is empty or the slot uncovered): refresh and look again.
        await this.#refreshSlots(deadline);
        await pauseBefore(deadline, ClusterRedirectDelayMs);
        continue;
      }
      const connection = this.#connectionTo(owner);
      try {
        // Not ready soon: look at a fresh slot map rather than wait it out.
        await waitForNode(connection, deadline);
      } catch (error) {
        if (performance.now() >= deadline) throw error;
        await this.#refreshSlots(deadline).catch(() => undefined);
        await pauseBefore(deadline, ClusterRedirectDelayMs);
        continue;
      }
      try {
        await connection.redis.ssubscribe(channel);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (!message.startsWith("MOVED ") || performance.now() >= deadline) throw error;
        await this.#refreshSlots(deadline);
        await pauseBefore(deadline, ClusterRedirectDelayMs);
        continue;
      }
      const now = this.#wanted.get(channel);
      if (now === undefined || this.#closed) {
        // Unsubscribed meanwhile: undo.
        connection.redis.sunsubscribe(channel).catch(() => undefined);
        return;
      }
      const previous = now.node;
      now.node = owner;
      now.suspect = false;
      if (previous !== undefined && previous !== owner) {
        const old = this.#connections.get(previous);
        if (old?.redis.status === "ready") old.redis.sunsubscribe(channel).catch(() => undefined);
      }
      return;
    }
  }

  /** The subscriber connection to `node` (`host:port`), opened on first use. */
  #connectionTo(node: string): NodeConnection {
    const existing = this.#connections.get(node);
    if (existing !== undefined) return existing;
    const connection = openNodeConnection(this.#cluster, node, this.#timeoutMs);
    const redis = connection.redis;
    redis.on("error", (error: Error) => {
      // Also after the connection is dropped: a late socket error must not crash the process.
      this.#lastError = error;
    });
    redis.on("smessage", (channel: string, message: string) => {
      // Only the connection a channel is placed on counts: never twice, never from a stale node.
      if (this.#wanted.get(channel)?.node === node) this.#events.onMessage(channel, message);
    });
    redis.on("close", () => {
      if (!connection.dropped) this.#lost(node);
    });
    redis.on("moved", () => {
      if (!connection.dropped) this.#suspect(node);
    });
    redis.on("ready", () => {
      if (!connection.dropped) this.#events.onReconnected();
    });
    this.#connections.set(node, connection);
    return connection;
  }

  /** A connection closed: every channel placed on it is placed again. */
  #lost(node: string): void {
    if (this.#closed) return;
    for (const placement of this.#wanted.values()) {
      if (placement.node === node) placement.node = undefined;
    }
    this.#scheduleRepair(0, true);
  }

  /** The server unsubscribed some channel of `node` on its own: subscribe them all again. */
  #suspect(node: string): void {
    if (this.#closed) return;
    for (const placement of this.#wanted.values()) {
      if (placement.node === node) placement.suspect = true;
    }
    this.#scheduleRepair(0, true);
  }

  #scheduleRepair(delayMs: number, refresh: boolean): void {
    if (this.#closed) return;
    if (refresh) this.#repairAgain = true;
    if (this.#repairTimer !== undefined) return;
    this.#repairTimer = setTimeout(() => {
      this.#repairTimer = undefined;
      // Never left unhandled: a repair that threw is tried again, as one that failed would be.
      this.#repair().catch((error: unknown) => {
        this.#lastError = error instanceof Error ? error : new Error(String(error));
        this.#scheduleRepair(MaxReconnectDelayMs, true);
      });
    }, delayMs);
  }

  /** Places every channel that is unplaced, suspect or on a node that no longer owns its slot. */
  async #repair(): Promise<void> {
    if (this.#repairing) {
      this.#repairAgain = true;
      return;
    }
    this.#repairing = true;
    let failed = false;
    try {
      const deadline = performance.now() + this.#timeoutMs;
      if (this.#repairAgain || this.#repairAttempts > 0) {
        this.#repairAgain = false;
        await this.#refreshSlots(deadline).catch(() => undefined);
      }
      const work: Promise<void>[] = [];
      for (const [channel, placement] of this.#wanted) {
        const owner = this.#cluster.slots[placement.slot]?.[0];
        if (placement.node !== undefined && placement.node === owner && !placement.suspect) {
          continue;
        }
        work.push(beforeDeadline(this.#place(channel, deadline), deadline, "subscribe"));
      }
      const results = await Promise.allSettled(work);
      failed = results.some((result) => result.status === "rejected");
      this.#dropIdleConnections();
    } finally {
      this.#repairing = false;
    }
    if (failed || this.#repairAgain) {
      this.#repairAttempts++;
      this.#scheduleRepair(
        Math.min(this.#repairAttempts * RepairStepMs, MaxReconnectDelayMs),
        false,
      );
    } else {
      this.#repairAttempts = 0;
    }
  }

  /** Closes the connections no wanted channel is placed on, and that own no wanted slot. */
  #dropIdleConnections(): void {
    const used = new Set<string>();
    for (const placement of this.#wanted.values()) {
      if (placement.node !== undefined) used.add(placement.node);
      const owner = this.#cluster.slots[placement.slot]?.[0];
      if (owner !== undefined) used.add(owner);
    }
    for (const [node, connection] of this.#connections) {
      if (used.has(node)) continue;
      this.#connections.delete(node);
      dropNodeConnection(connection);
    }
  }

  /** Asks the Cluster client for a fresh slot map, bounded by `deadline`. */
  #refreshSlots(deadline: number): Promise<void> {
    return beforeDeadline(
      refreshSlots(this.#cluster),
      deadline,
      "slot map refresh",
      () => this.#lastError,
    );
  }
}
