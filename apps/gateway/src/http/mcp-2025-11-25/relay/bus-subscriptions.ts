import { randomUUID } from "node:crypto";
import {
  type BusSubscription,
  BusUnavailableError,
  type SessionMessageBus,
} from "@vmcp/session-core";
import type { GatewayLogger } from "../../../logger.js";
import { type BusEnvelope, parseEnvelope } from "./bus-envelope.js";

/**
 * How long a session's bus subscription outlives its last use, ms: a session with one request
 * after another keeps one subscription instead of subscribing again for each (a round trip to a
 * Redis bus).
 */
export const SubscriptionLingerMs = 5_000;

/**
 * Longest a request waits, before it is dispatched, for its session's bus subscription to be live
 * (ms), so that a cancellation published by another replica right after reaches it; beyond, it
 * goes on without (a slow or unreachable bus does not hold requests up).
 */
export const SubscribeWaitMs = 250;

/** One session's subscription on this replica, shared by everyone who retained it. */
export interface SessionChannel {
  /** Holders: requests in flight, waiting server-to-client requests, a GET stream, an answer on its way. */
  refs: number;
  /** Resolves once the subscription is live; `undefined` (error kept) when it failed. */
  subscription: Promise<BusSubscription | undefined>;
  /** Whether `subscription` has settled: a request then needs no wait before dispatch. */
  settled: boolean;
  subscribeError?: unknown;
  /** Set while the channel is unused and waits {@link SubscriptionLingerMs} before unsubscribing. */
  linger?: NodeJS.Timeout | undefined;
  /** Acknowledgements awaited by {@link BusSubscriptions.publishAcked}, by nonce. */
  readonly acks: Map<string, () => void>;
}

/** Options of {@link BusSubscriptions}. */
export interface BusSubscriptionsOptions {
  readonly bus: SessionMessageBus;
  readonly log: GatewayLogger;
  /** Bound on {@link BusSubscriptions.publishAcked} waiting for its acknowledgement, ms. */
  readonly ackTimeoutMs: number;
  /** Receives every gateway envelope of a session's current subscription (never a stale one's). */
  readonly onEnvelope: (sessionId: string, channel: SessionChannel, envelope: BusEnvelope) => void;
}

/**
 * This replica's subscriptions to the session message bus, one per session in use, counted by
 * reference: the first holder subscribes, the last one's release lets it linger
 * {@link SubscriptionLingerMs} before unsubscribing. A failed subscription is tried again by the
 * next holder. Also publishes, and publishes with an acknowledgement to wait for.
 */
export class BusSubscriptions {
  readonly #bus: SessionMessageBus;
  readonly #log: GatewayLogger;
  readonly #onEnvelope: BusSubscriptionsOptions["onEnvelope"];
  readonly #ackMs: number;
  readonly #channels = new Map<string, SessionChannel>();

  constructor(options: BusSubscriptionsOptions) {
    this.#bus = options.bus;
    this.#log = options.log;
    this.#onEnvelope = options.onEnvelope;
    this.#ackMs = options.ackTimeoutMs;
  }

  /** The session's channel while someone holds it or it lingers. */
  get(sessionId: string): SessionChannel | undefined {
    return this.#channels.get(sessionId);
  }

  /** Holds the session's subscription (subscribing when nobody does); pair with {@link release}. */
  retain(sessionId: string): SessionChannel {
    let channel = this.#channels.get(sessionId);
    if (channel === undefined) {
      const created: SessionChannel = {
        refs: 0,
        subscription: Promise.resolve(undefined),
        settled: false,
        acks: new Map(),
      };
      created.subscription = this.#subscribe(sessionId, created);
      this.#channels.set(sessionId, created);
      channel = created;
    } else if (channel.subscribeError !== undefined) {
      // The last try failed (the bus was down): try again rather than keep failing.
      channel.subscribeError = undefined;
      channel.subscription = this.#subscribe(sessionId, channel);
    }
    clearTimeout(channel.linger);
    channel.linger = undefined;
    channel.refs++;
    return channel;
  }

  /** Lets go of the session's subscription; the last holder's release starts the linger. */
  release(sessionId: string): void {
    const channel = this.#channels.get(sessionId);
    if (channel === undefined) return;
    channel.refs--;
    if (channel.refs > 0) return;
    clearTimeout(channel.linger);
    channel.linger = setTimeout(() => {
      if (this.#channels.get(sessionId) !== channel || channel.refs > 0) return;
      this.#channels.delete(sessionId);
      void channel.subscription.then((s) => s?.unsubscribe());
    }, SubscriptionLingerMs);
    channel.linger.unref();
  }

  /**
   * Resolves once the session's subscription is live, or after {@link SubscribeWaitMs}. Never
   * rejects.
   */
  async ready(sessionId: string): Promise<void> {
    const channel = this.#channels.get(sessionId);
    // The usual case on a busy session: the subscription is live, no timer and no race needed.
    if (channel === undefined || channel.settled) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      channel.subscription,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, SubscribeWaitMs);
      }),
    ]);
    clearTimeout(timer);
  }

  /** Publishes one envelope on the session's channel (every subscribed replica gets it). */
  publish(sessionId: string, envelope: BusEnvelope): Promise<void> {
    return this.#bus.publish(sessionId, JSON.stringify(envelope));
  }

  /**
   * Publishes the envelope `make(ack)` and waits up to the acknowledgement bound for an
   * `answer-ack` with that nonce: `true` when one came. `channel` must be retained by the caller.
   * @throws {BusUnavailableError} when the bus cannot carry it.
   */
  async publishAcked(
    sessionId: string,
    channel: SessionChannel,
    make: (ack: string) => BusEnvelope,
  ): Promise<boolean> {
    const ack = randomUUID();
    let timer: NodeJS.Timeout | undefined;
    try {
      if ((await channel.subscription) === undefined) {
        throw channel.subscribeError ?? new BusUnavailableError("the subscription failed");
      }
      const acked = new Promise<boolean>((resolve) => {
        channel.acks.set(ack, () => resolve(true));
        timer = setTimeout(() => resolve(false), this.#ackMs);
      });
      await this.publish(sessionId, make(ack));
      return await acked;
    } finally {
      clearTimeout(timer);
      channel.acks.delete(ack);
    }
  }

  /** An `answer-ack` came on `channel`: the {@link publishAcked} waiting for `ack` returns `true`. */
  acknowledge(channel: SessionChannel, ack: string): void {
    channel.acks.get(ack)?.();
  }

  /** Forgets every channel and unsubscribes them all. */
  async close(): Promise<void> {
    const subscriptions: Promise<BusSubscription | undefined>[] = [];
    for (const channel of this.#channels.values()) {
      subscriptions.push(channel.subscription);
      clearTimeout(channel.linger);
    }
    this.#channels.clear();
    await Promise.all(subscriptions.map(async (s) => (await s)?.unsubscribe()));
  }

  #subscribe(sessionId: string, channel: SessionChannel): Promise<BusSubscription | undefined> {
    channel.settled = false;
    return this.#bus
      .subscribe(sessionId, (text) => {
        if (this.#channels.get(sessionId) !== channel) return;
        const envelope = parseEnvelope(text);
        if (envelope !== undefined) this.#onEnvelope(sessionId, channel, envelope);
      })
      .catch((error: unknown) => {
        channel.subscribeError = error;
        this.#log.warn({ sessionId, err: error }, "could not subscribe to the message bus");
        return undefined;
      })
      .finally(() => {
        channel.settled = true;
      });
  }
}
