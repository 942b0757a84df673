import {
  assertValidSessionId,
  BusClosedError,
  type BusMessageHandler,
  type BusSubscription,
  BusUnavailableError,
  checkBusMessage,
  DefaultBusTimeoutMs,
  DefaultMaxBusMessageBytes,
  type SessionMessageBus,
  warnBusHandlerError,
} from "@vmcp/session-core/storage";
import type { Cluster, ClusterNode, ClusterOptions, Redis, RedisOptions } from "ioredis";
import { resolveClient } from "../clients/redis-options.js";
import { reviveOnEnd } from "../clients/revive.js";
import { isCluster } from "../cluster/ioredis-cluster.js";
import { ClusterPublisher } from "../cluster/publisher.js";
import { beforeDeadline, ReadyGate } from "./bounds.js";
import { BusChannels } from "./channel.js";
import { ShardedSubscriberLink } from "./sharded-subscriber-link.js";
import { DeliveryFilter, PublisherStamp } from "./stamps.js";
import { NodeSubscriberLink, type SubscriberLink } from "./subscriber-link.js";

/** The default bound on publishes sent but not yet confirmed by Redis: 10,000. */
export const DefaultMaxPendingPublishes = 10_000;

/**
 * How to reach Redis and the bus's bounds. The connection options are `RedisStorage`'s (give
 * exactly one of `url`/`redis`, `cluster` or `client`), so one store configuration opens both.
 */
export interface RedisMessageBusOptions {
  /** A Redis URL (`redis://` or `rediss://`); options in `redis` apply on top. */
  readonly url?: string;
  /** ioredis options for a standalone server or for Sentinel (`sentinels` and `name`). */
  readonly redis?: RedisOptions;
  /** A Redis Cluster: its startup nodes and ioredis Cluster options. Messages use sharded pub/sub. */
  readonly cluster?: {
    readonly nodes: readonly ClusterNode[];
    readonly options?: ClusterOptions;
  };
  /**
   * An existing ioredis `Redis` or `Cluster` to publish through. The bus never closes it; it
   * opens its own subscriber connections from it (`duplicate()`, or the Cluster's node options).
   */
  readonly client?: Redis | Cluster;
  /**
   * The prefix of every channel, without braces: `RedisStorage`'s `keyPrefix`. Default
   * `"vmcp:session:"`. A session's channel is `<prefix>{<id>}:bus`.
   */
  readonly keyPrefix?: string;
  /**
   * The bound on `publish` and `subscribe`, ms: waiting for a connection plus the command. Past
   * it the call rejects with `BusUnavailableError`. Default `DefaultBusTimeoutMs` (1500 ms).
   */
  readonly timeoutMs?: number;
  /** The largest message, UTF-8 bytes. Default `DefaultMaxBusMessageBytes` (1 MiB). */
  readonly maxMessageBytes?: number;
  /**
   * The most publishes waiting for Redis at once. One more rejects at once with
   * `BusUnavailableError` (back-pressure instead of unbounded memory while Redis is slow).
   * Default {@link DefaultMaxPendingPublishes} (10,000).
   */
  readonly maxPendingPublishes?: number;
  /**
   * Called when a handler throws, which the contract forbids; other subscriptions are not
   * affected. Default: a process warning.
   */
  readonly onHandlerError?: (error: unknown, sessionId: string) => void;
}

/** One subscription as the bus holds it; `live` turns false at unsubscribe or close. */
interface Subscriber {
  readonly sessionId: string;
  readonly handler: BusMessageHandler;
  live: boolean;
}

/**
 * One channel's local state: its live subscribers, the subscribes in progress, whether the
 * server may hold a subscription for it, and a chain that runs its server commands one at a time.
 */
interface ChannelEntry {
  readonly channel: string;
  readonly sessionId: string;
  readonly subscribers: Set<Subscriber>;
  joining: number;
  onServer: boolean;
  /** When the server last confirmed a `SUBSCRIBE` of the channel (`performance.now()` ms). */
  confirmedAt: number;
  chain: Promise<void>;
  /** On a Cluster: drops a stamped message this channel has already delivered. */
  readonly filter: DeliveryFilter | undefined;
}

/**
 * A `SessionMessageBus` on Redis pub/sub, beside `RedisStorage` and opened from the same
 * configuration: `PUBLISH`/`SUBSCRIBE` on a standalone server or a Sentinel-managed master
 * (following `+switch-master`), sharded pub/sub (`SPUBLISH`/`SSUBSCRIBE`) on a Cluster, where a
 * session's channel `<prefix>{<id>}:bus` lives in the slot of the session's keys.
 *
 * Publishing goes through one client, or on a Cluster through one connection of the bus's own per
 * primary (ordered per session either way, and never resent after the caller was told it failed);
 * subscriptions go through dedicated subscriber connections, one Redis subscription per channel
 * however many local subscriptions share it, and every lost connection is subscribed again on its
 * own. Every call is bounded by `timeoutMs`; an unreachable Redis gives `BusUnavailableError`,
 * and connection `error` events never reach the process. Delivery is at most once: a message published while a subscriber
 * connection is down is lost for it.
 */
export class RedisMessageBus implements SessionMessageBus {
  readonly #client: Redis | Cluster;
  readonly #owned: boolean;
  readonly #gate: ReadyGate;
  readonly #link: SubscriberLink;
  /** On a Cluster: sends each `SPUBLISH` to the slot's primary (see `ClusterPublisher`). */
  readonly #clusterPublisher: ClusterPublisher | undefined;
  readonly #channels: BusChannels;
  readonly #timeoutMs: number;
  readonly #maxMessageBytes: number;
  readonly #maxPending: number;
  readonly #onHandlerError: (error: unknown, sessionId: string) => void;
  readonly #entries = new Map<string, ChannelEntry>();
  /** On a Cluster: the last publish of each channel still in flight (see `#publishInTurn`). */
  readonly #publishTurns = new Map<string, Promise<void>>();
  readonly #stopReviving: Array<() => void> = [];
  /** On a Cluster: stamps each publish so a subscriber can drop a repeat (see bus/stamps.ts). */
  readonly #stamp: PublisherStamp | undefined;
  #pending = 0;
  #lastError: Error | undefined;
  #closed = false;
  readonly #onError = (error: Error): void => {
    this.#lastError = error;
  };

  /**
   * @throws {TypeError} when not exactly one connection source is given, or the key prefix holds
   *   a brace.
   * @throws {RangeError} when a bound is not a positive integer.
   */
  constructor(options: RedisMessageBusOptions) {
    const timeoutMs = positive("timeoutMs", options.timeoutMs ?? DefaultBusTimeoutMs);
    this.#timeoutMs = timeoutMs;
    this.#maxMessageBytes = positive(
      "maxMessageBytes",
      options.maxMessageBytes ?? DefaultMaxBusMessageBytes,
    );
    this.#maxPending = positive(
      "maxPendingPublishes",
      options.maxPendingPublishes ?? DefaultMaxPendingPublishes,
    );
    this.#channels = new BusChannels(options.keyPrefix);
    this.#onHandlerError = options.onHandlerError ?? warnBusHandlerError;
    const { client, owned } = resolveClient(options, timeoutMs);
    this.#client = client;
    this.#owned = owned;
    this.#gate = new ReadyGate(client);
    client.on("error", this.#onError);
    if (owned && !isCluster(client)) this.#stopReviving.push(reviveOnEnd(client));
    const events = {
      onMessage: (channel: string, message: string) => this.#deliver(channel, message),
      onReconnected: () => this.#releaseAbandoned(),
    };
    this.#link = isCluster(client)
      ? new ShardedSubscriberLink(client, timeoutMs, events)
      : new NodeSubscriberLink(client, timeoutMs, events);
    this.#clusterPublisher = isCluster(client)
      ? new ClusterPublisher(client, timeoutMs, this.#onError)
      : undefined;
    this.#stamp = isCluster(client) ? new PublisherStamp() : undefined;
  }

  /** The channel prefix in use (a session's channel is `<prefix>{<id>}:bus`). */
  get keyPrefix(): string {
    return this.#channels.prefix;
  }

  /** The Redis channel of session `id` (for tools and tests; validates the ID). */
  channelOf(id: string): string {
    return this.#channels.channelOf(assertValidSessionId(id));
  }

  async publish(sessionId: string, message: string): Promise<void> {
    assertValidSessionId(sessionId);
    this.#checkOpen();
    checkBusMessage(message, this.#maxMessageBytes);
    if (this.#pending >= this.#maxPending) {
      throw new BusUnavailableError(
        `the Redis message bus has ${this.#pending} publishes waiting for Redis (bound ${this.#maxPending})`,
      );
    }
    const channel = this.#channels.channelOf(sessionId);
    const deadline = performance.now() + this.#timeoutMs;
    this.#pending++;
    try {
      if (!isCluster(this.#client)) {
        // One connection, no offline queue, no resend: Redis receives them in call order.
        await beforeDeadline(
          this.#send(channel, message, deadline),
          deadline,
          "publish",
          () => this.#lastError,
        );
        return;
      }
      // Stamped in call order, which is the order the channel's publishes are sent in.
      const stamped = (this.#stamp as PublisherStamp).stamp(message);
      await this.#publishInTurn(channel, () =>
        beforeDeadline(
          this.#send(channel, stamped, deadline),
          deadline,
          "publish",
          () => this.#lastError,
        ),
      );
    } finally {
      this.#pending--;
    }
  }

  /**
   * On a Cluster, sends one channel's publishes one after the other: a publish can be routed
   * more than once (a `MOVED` or `ASK` reply, a slot map refresh, a connection to a new primary),
   * so two in flight at once could reach the shard in either order. Each waits for the previous
   * one to settle or reach its own bound, whichever comes first.
   */
  async #publishInTurn(channel: string, send: () => Promise<void>): Promise<void> {
    const previous = this.#publishTurns.get(channel) ?? Promise.resolve();
    const mine = previous.then(send);
    const settled = mine.catch(() => undefined);
    this.#publishTurns.set(channel, settled);
    try {
      await mine;
    } finally {
      if (this.#publishTurns.get(channel) === settled) this.#publishTurns.delete(channel);
    }
  }

  async subscribe(sessionId: string, onMessage: BusMessageHandler): Promise<BusSubscription> {
    assertValidSessionId(sessionId);
    this.#checkOpen();
    const calledAt = performance.now();
    const deadline = calledAt + this.#timeoutMs;
    const channel = this.#channels.channelOf(sessionId);
    let entry = this.#entries.get(channel);
    if (entry === undefined) {
      entry = {
        channel,
        sessionId,
        subscribers: new Set(),
        joining: 0,
        onServer: false,
        confirmedAt: Number.NEGATIVE_INFINITY,
        chain: Promise.resolve(),
        filter: this.#stamp === undefined ? undefined : new DeliveryFilter(),
      };
      this.#entries.set(channel, entry);
    }
    const joined = entry;
    joined.joining++;
    try {
      await this.#serially(joined, async () => {
        this.#checkOpen();
        // A SUBSCRIBE confirmed since this call began (concurrent subscribes to one session
        // share it) proves the subscription and the server's reachability now. Otherwise it is
        // sent, even when the channel is already subscribed (Redis ignores the repeat), so the
        // caller learns within its bound whether the server answers. Whatever happens next, the
        // server may hold the subscription: a later release sends UNSUBSCRIBE even on a timeout.
        if (joined.onServer && joined.confirmedAt >= calledAt) return;
        joined.onServer = true;
        await this.#link.subscribe(channel, deadline);
        joined.confirmedAt = performance.now();
      });
    } catch (error) {
      joined.joining--;
      void this.#releaseIfUnused(joined);
      throw error;
    }
    joined.joining--;
    if (this.#closed) throw new BusClosedError();
    const subscriber: Subscriber = { sessionId, handler: onMessage, live: true };
    joined.subscribers.add(subscriber);
    return {
      sessionId,
      unsubscribe: async () => {
        if (!subscriber.live) return;
        subscriber.live = false;
        joined.subscribers.delete(subscriber);
        await this.#releaseIfUnused(joined);
      },
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const entry of this.#entries.values()) {
      for (const subscriber of entry.subscribers) subscriber.live = false;
      entry.subscribers.clear();
    }
    this.#entries.clear();
    for (const stop of this.#stopReviving) stop();
    this.#gate.close();
    this.#link.close();
    this.#clusterPublisher?.close();
    if (this.#owned) {
      // Our error listener stays on the dead client: a late socket error cannot crash the process.
      this.#client.disconnect();
    } else {
      this.#client.off("error", this.#onError);
    }
  }

  /**
   * Sends one publish: `PUBLISH` through the client once it is ready (no offline queue), or on a
   * Cluster `SPUBLISH` through the bus's own connection to the slot's primary.
   */
  async #send(channel: string, message: string, deadline: number): Promise<void> {
    if (this.#clusterPublisher !== undefined) {
      await this.#clusterPublisher.publish(channel, message, deadline);
      return;
    }
    await this.#gate.wait(deadline);
    this.#checkOpen();
    await (this.#client as Redis).publish(channel, message);
  }

  /** Hands a message to every live subscriber of its channel, each in its own try. */
  #deliver(channel: string, wire: string): void {
    const entry = this.#entries.get(channel);
    if (entry === undefined) return;
    const message = entry.filter === undefined ? wire : entry.filter.accept(wire);
    if (message === undefined) return;
    for (const subscriber of entry.subscribers) {
      if (!subscriber.live) continue;
      try {
        subscriber.handler(message);
      } catch (error) {
        this.#onHandlerError(error, subscriber.sessionId);
      }
    }
  }

  /**
   * Unsubscribes the channel on the server once nobody uses it locally. Never rejects: when the
   * server cannot be told now, the entry stays (with no subscribers, so nothing is delivered)
   * and the unsubscribe is sent again after the next reconnect.
   */
  #releaseIfUnused(entry: ChannelEntry): Promise<void> {
    const unused = () => entry.subscribers.size === 0 && entry.joining === 0;
    if (!unused()) return Promise.resolve();
    const deadline = performance.now() + this.#timeoutMs;
    return this.#serially(entry, async () => {
      if (!unused() || this.#closed) return;
      if (entry.onServer) {
        await this.#link.unsubscribe(entry.channel, deadline);
        entry.onServer = false;
      }
      if (unused() && this.#entries.get(entry.channel) === entry) {
        this.#entries.delete(entry.channel);
      }
    }).catch(() => undefined);
  }

  /** After a reconnect: sends the unsubscribes that could not be sent while the link was down. */
  #releaseAbandoned(): void {
    for (const entry of this.#entries.values()) {
      if (entry.subscribers.size === 0 && entry.joining === 0) void this.#releaseIfUnused(entry);
    }
  }

  /** Runs `task` after the channel's earlier server commands, one at a time. */
  #serially(entry: ChannelEntry, task: () => Promise<void>): Promise<void> {
    const run = entry.chain.then(task);
    entry.chain = run.catch(() => undefined);
    return run;
  }

  #checkOpen(): void {
    if (this.#closed) throw new BusClosedError();
  }
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}
