import {
  assertValidSessionId,
  BusClosedError,
  type BusMessageHandler,
  type BusSubscription,
  BusUnavailableError,
  checkBusMessage,
  DefaultMaxBusMessageBytes,
  type SessionMessageBus,
  warnBusHandlerError,
} from "@vmcp/session-core/storage";

/** The default bound on messages published but not yet delivered: 10,000. */
export const DefaultMaxPendingMessages = 10_000;

/** Options for {@link InProcessMessageBus}. */
export interface InProcessMessageBusOptions {
  /** The largest message, UTF-8 bytes. Default `DefaultMaxBusMessageBytes` (1 MiB). */
  readonly maxMessageBytes?: number;
  /**
   * The most deliveries waiting for the next turn of the event loop (one per subscription a
   * message goes to). A publish that would exceed it throws `BusUnavailableError`: back-pressure
   * instead of unbounded memory. Default {@link DefaultMaxPendingMessages} (10,000).
   */
  readonly maxPendingMessages?: number;
  /**
   * Called when a handler throws, which the contract forbids; the other subscriptions are not
   * affected. Default: a process warning.
   */
  readonly onHandlerError?: (error: unknown, sessionId: string) => void;
}

/** One subscription as the bus holds it; `live` turns false at unsubscribe. */
interface Subscriber {
  readonly sessionId: string;
  readonly handler: BusMessageHandler;
  live: boolean;
}

/**
 * A `SessionMessageBus` within this process: the message bus beside `MemoryStorage`, for one
 * replica. Each instance is its own bus (two instances never see each other's messages). It
 * keeps every semantic of the contract: fan-out to every live subscription, at most once, in
 * publish order (one FIFO for the whole bus), delivered on a later turn of the event loop
 * (`setImmediate`), nothing after `unsubscribe()`. Nothing here can become unreachable, so the
 * only `BusUnavailableError` is back-pressure ({@link InProcessMessageBusOptions.maxPendingMessages}).
 */
export class InProcessMessageBus implements SessionMessageBus {
  readonly #subscribers = new Map<string, Set<Subscriber>>();
  readonly #pending: { subscriber: Subscriber; message: string }[] = [];
  readonly #maxMessageBytes: number;
  readonly #maxPending: number;
  readonly #onHandlerError: (error: unknown, sessionId: string) => void;
  #drainScheduled: NodeJS.Immediate | undefined;
  #closed = false;

  /** @throws {RangeError} when a bound is not a positive integer. */
  constructor(options: InProcessMessageBusOptions = {}) {
    this.#maxMessageBytes = positive(
      "maxMessageBytes",
      options.maxMessageBytes ?? DefaultMaxBusMessageBytes,
    );
    this.#maxPending = positive(
      "maxPendingMessages",
      options.maxPendingMessages ?? DefaultMaxPendingMessages,
    );
    this.#onHandlerError = options.onHandlerError ?? warnBusHandlerError;
  }

  async publish(sessionId: string, message: string): Promise<void> {
    assertValidSessionId(sessionId);
    if (this.#closed) throw new BusClosedError();
    checkBusMessage(message, this.#maxMessageBytes);
    const subscribers = this.#subscribers.get(sessionId);
    if (subscribers === undefined) return;
    if (this.#pending.length + subscribers.size > this.#maxPending) {
      throw new BusUnavailableError(
        `the in-process message bus has ${this.#pending.length} deliveries pending (bound ${this.#maxPending})`,
      );
    }
    for (const subscriber of subscribers) this.#pending.push({ subscriber, message });
    this.#drainScheduled ??= setImmediate(() => this.#drain());
  }

  async subscribe(sessionId: string, onMessage: BusMessageHandler): Promise<BusSubscription> {
    assertValidSessionId(sessionId);
    if (this.#closed) throw new BusClosedError();
    const subscriber: Subscriber = { sessionId, handler: onMessage, live: true };
    let set = this.#subscribers.get(sessionId);
    if (set === undefined) {
      set = new Set();
      this.#subscribers.set(sessionId, set);
    }
    set.add(subscriber);
    return {
      sessionId,
      unsubscribe: async () => this.#remove(subscriber),
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const set of this.#subscribers.values()) {
      for (const subscriber of set) subscriber.live = false;
    }
    this.#subscribers.clear();
    this.#pending.length = 0;
    if (this.#drainScheduled !== undefined) clearImmediate(this.#drainScheduled);
    this.#drainScheduled = undefined;
  }

  #remove(subscriber: Subscriber): void {
    subscriber.live = false;
    const set = this.#subscribers.get(subscriber.sessionId);
    if (set === undefined) return;
    set.delete(subscriber);
    if (set.size === 0) this.#subscribers.delete(subscriber.sessionId);
  }

  /** Delivers what is pending now; messages published by handlers meanwhile wait for the next turn. */
  #drain(): void {
    this.#drainScheduled = undefined;
    const batch = this.#pending.splice(0);
    for (const { subscriber, message } of batch) {
      if (!subscriber.live) continue;
      try {
        subscriber.handler(message);
      } catch (error) {
        this.#onHandlerError(error, subscriber.sessionId);
      }
    }
  }
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}
