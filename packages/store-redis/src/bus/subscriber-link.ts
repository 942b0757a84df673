import type { Redis } from "ioredis";
import { reviveOnEnd } from "../clients/revive.js";
import { beforeDeadline, busConnectionBounds, ReadyGate } from "./bounds.js";

/** What a subscriber link tells the bus. */
export interface SubscriberLinkEvents {
  /** A message arrived on `channel`. */
  onMessage(channel: string, message: string): void;
  /**
   * The link (re)connected and subscribed again to every channel it held: the bus retries the
   * unsubscribes it could not send while the link was down.
   */
  onReconnected(): void;
}

/**
 * The subscriber side of a Redis bus: channels subscribed on the server, messages in. One
 * implementation per topology: {@link NodeSubscriberLink} (standalone and Sentinel, `SUBSCRIBE`
 * on one connection) and `ShardedSubscriberLink` (Cluster, `SSUBSCRIBE` on each shard's primary).
 */
export interface SubscriberLink {
  /**
   * Subscribes `channel` on the server; resolves once the server confirmed it.
   * @throws {BusUnavailableError} when that did not happen before `deadline`
   *   (`performance.now()` ms); the channel may or may not be subscribed then.
   */
  subscribe(channel: string, deadline: number): Promise<void>;
  /**
   * Unsubscribes `channel` on the server; resolves once the server confirmed it.
   * @throws {BusUnavailableError} when that did not happen before `deadline`.
   */
  unsubscribe(channel: string, deadline: number): Promise<void>;
  /** Drops every connection and timer of the link. */
  close(): void;
}

/**
 * A {@link SubscriberLink} on one dedicated connection (a connection in subscriber mode can run
 * nothing else): plain `SUBSCRIBE`, for a standalone server or a Sentinel-managed master. The
 * connection is a duplicate of the publishing client (same address, Sentinel and TLS) with the
 * bus's bounds (no offline queue, no resend, `timeoutMs` per command and connect, reconnection
 * every 100 to 500 ms), opened at the first subscribe. After every reconnect, including one to a
 * new master after Sentinel's `+switch-master` (the failover detector), the link subscribes
 * again to every channel it holds; an `end` the link did not ask for is followed by a new
 * connect.
 *
 * The link resubscribes itself rather than through ioredis's `autoResubscribe`, which sends that
 * `SUBSCRIBE` with no rejection handler and learns the channels only from its reply: a cut before
 * the reply rejected it unhandled (`MaxRetriesPerRequestError`) and left the channels out of
 * every later reconnect, so delivery never resumed. Here the channels are the link's own, and a
 * resubscribe that fails is retried after the next reconnect (one is forced when the connection
 * stays up).
 */
export class NodeSubscriberLink implements SubscriberLink {
  readonly #connection: Redis;
  readonly #gate: ReadyGate;
  readonly #events: SubscriberLinkEvents;
  readonly #stopReviving: () => void;
  /** The channels the server confirmed once and nobody unsubscribed since: resubscribed. */
  readonly #held = new Set<string>();
  #lastError: Error | undefined;
  #closed = false;

  constructor(publisher: Redis, timeoutMs: number, events: SubscriberLinkEvents) {
    this.#events = events;
    // Bounded like every connection the bus makes, even when the publisher is a client handed
    // in with other settings: a subscribe is sent now or refused, never queued for later.
    this.#connection = publisher.duplicate({
      ...busConnectionBounds(timeoutMs),
      autoResubscribe: false,
    });
    this.#gate = new ReadyGate(this.#connection);
    this.#connection.on("error", (error: Error) => {
      // Surfaces as rejected or late calls; the event must not crash the process.
      this.#lastError = error;
    });
    this.#connection.on("message", (channel: string, message: string) =>
      events.onMessage(channel, message),
    );
    this.#connection.on("ready", () => {
      this.#lastError = undefined;
      this.#resubscribe();
    });
    this.#stopReviving = reviveOnEnd(this.#connection);
  }

  async subscribe(channel: string, deadline: number): Promise<void> {
    const connection = this.#connection;
    await beforeDeadline(
      this.#gate.wait(deadline).then(() => connection.subscribe(channel)),
      deadline,
      "subscribe",
      () => this.#lastError,
    );
    this.#held.add(channel);
  }

  async unsubscribe(channel: string, deadline: number): Promise<void> {
    // Not subscribed again after a reconnect, whatever happens to the UNSUBSCRIBE.
    this.#held.delete(channel);
    const connection = this.#connection;
    if (connection.status !== "ready") {
      throw new Error("the subscriber connection is not ready");
    }
    await beforeDeadline(
      connection.unsubscribe(channel),
      deadline,
      "unsubscribe",
      () => this.#lastError,
    );
  }

  close(): void {
    this.#closed = true;
    this.#stopReviving();
    this.#gate.close();
    this.#connection.disconnect();
  }

  /**
   * On `ready`: subscribes the new connection to every held channel (bounded by the command
   * timeout), then tells the bus. A connection with none held tells it at once.
   */
  #resubscribe(): void {
    const channels = [...this.#held];
    if (channels.length === 0) {
      this.#events.onReconnected();
      return;
    }
    const connection = this.#connection;
    connection.subscribe(...channels).then(
      () => this.#events.onReconnected(),
      (error: unknown) => {
        this.#lastError = error instanceof Error ? error : new Error(String(error));
        // Lost with its connection: the next `ready` subscribes again. Refused or timed out on
        // a connection still up: reconnect, so the server's side starts from nothing again.
        if (!this.#closed && connection.status === "ready") connection.disconnect(true);
      },
    );
  }
}
