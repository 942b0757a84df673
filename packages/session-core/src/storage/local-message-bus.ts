import { checkBusMessage, warnBusHandlerError } from "./bus-input.js";
import { BusClosedError, BusUnavailableError } from "./errors.js";
import { assertValidSessionId } from "./session-id.js";
import type {
  BusMessageHandler,
  BusSubscription,
  SessionMessageBus,
} from "./session-message-bus.js";

/** Options for {@link LocalMessageBus}: its two bounds have no default here (its users pick them). */
export interface LocalMessageBusOptions {
  /** The largest message, UTF-8 bytes (a positive integer). */
  readonly maxMessageBytes: number;
  /**
   * The most deliveries waiting for the next turn of the event loop (one per subscription a
   * message goes to; a positive integer). A publish that would exceed it throws
   * `BusUnavailableError`: back-pressure instead of unbounded memory.
   */
  readonly maxPendingMessages: number;
  /**
   * Called when a handler throws, which the contract forbids; the other subscriptions are not
   * affected.
   * @default warnBusHandlerError (a process warning)
   */
  readonly onHandlerError?: (error: unknown, sessionId: string) => void;
}

/** One subscription as a {@link LocalMessageBus} holds it; `live` turns false at unsubscribe. */
export interface LocalSubscriber {
  readonly sessionId: string;
  readonly handler: BusMessageHandler;
  live: boolean;
}

/**
 * The semantics of a `SessionMessageBus` within this process: the one implementation behind
 * `@vmcp/store-memory`'s `InProcessMessageBus` and the reference bus the conformance suite's own
 * tests break one rule at a time. Each instance is its own bus (two never see each other's
 * messages). Fan-out to every live subscription, at most once, in publish order (one FIFO for the
 * whole bus), delivered on a later turn of the event loop (`setImmediate`), nothing after
 * `unsubscribe()`. Nothing here can become unreachable, so the only `BusUnavailableError` is
 * back-pressure ({@link LocalMessageBusOptions.maxPendingMessages}).
 *
 * Subclasses may override the protected steps; each is one rule of the contract.
 */
export class LocalMessageBus implements SessionMessageBus {
  /** The live subscriptions by session ID. */
  protected readonly sessions = new Map<string, Set<LocalSubscriber>>();
  readonly #pending: (() => void)[] = [];
  readonly #maxMessageBytes: number;
  readonly #maxPending: number;
  readonly #onHandlerError: (error: unknown, sessionId: string) => void;
  #drainScheduled: NodeJS.Immediate | undefined;
  #closed = false;

  /** @throws {RangeError} when a bound is not a positive integer. */
  constructor(options: LocalMessageBusOptions) {
    this.#maxMessageBytes = positive("maxMessageBytes", options.maxMessageBytes);
    this.#maxPending = positive("maxPendingMessages", options.maxPendingMessages);
    this.#onHandlerError = options.onHandlerError ?? warnBusHandlerError;
  }

  async publish(sessionId: string, message: string): Promise<void> {
    assertValidSessionId(sessionId);
    if (this.#closed) throw new BusClosedError();
    this.checkSize(message);
    const subscribers = this.sessions.get(sessionId);
    if (subscribers === undefined) return;
    if (this.#pending.length + subscribers.size > this.#maxPending) {
      throw new BusUnavailableError(
        `the in-process message bus has ${this.#pending.length} deliveries pending (bound ${this.#maxPending})`,
      );
    }
    for (const subscriber of subscribers) this.schedule(() => this.deliver(subscriber, message));
  }

  async subscribe(sessionId: string, onMessage: BusMessageHandler): Promise<BusSubscription> {
    assertValidSessionId(sessionId);
    if (this.#closed) throw new BusClosedError();
    const subscriber: LocalSubscriber = { sessionId, handler: onMessage, live: true };
    let set = this.sessions.get(sessionId);
    if (set === undefined) {
      set = new Set();
      this.sessions.set(sessionId, set);
    }
    set.add(subscriber);
    this.joined(sessionId, subscriber);
    return { sessionId, unsubscribe: async () => this.end(sessionId, subscriber) };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const set of this.sessions.values()) {
      for (const subscriber of set) subscriber.live = false;
    }
    this.sessions.clear();
    this.#pending.length = 0;
    if (this.#drainScheduled !== undefined) clearImmediate(this.#drainScheduled);
    this.#drainScheduled = undefined;
  }

  /** Refuses a message that is not a string or is over the size bound, before any delivery. */
  protected checkSize(message: string): void {
    checkBusMessage(message, this.#maxMessageBytes);
  }

  /** Hands `message` to a subscription that is still live; a throwing handler harms no other. */
  protected deliver(subscriber: LocalSubscriber, message: string): void {
    if (!subscriber.live) return;
    try {
      subscriber.handler(message);
    } catch (error) {
      this.#onHandlerError(error, subscriber.sessionId);
    }
  }

  /** Runs a delivery on a later turn of the event loop, in publish order. */
  protected schedule(delivery: () => void): void {
    this.#pending.push(delivery);
    this.#drainScheduled ??= setImmediate(() => this.#drain());
  }

  /** Ends a subscription: nothing is delivered to it from now on. */
  protected end(sessionId: string, subscriber: LocalSubscriber): void {
    subscriber.live = false;
    const set = this.sessions.get(sessionId);
    if (set === undefined) return;
    set.delete(subscriber);
    if (set.size === 0) this.sessions.delete(sessionId);
  }

  /** Called once a subscription has joined a session (nothing to do here). */
  protected joined(_sessionId: string, _subscriber: LocalSubscriber): void {}

  /** Delivers what is pending now; deliveries scheduled by handlers meanwhile wait for the next turn. */
  #drain(): void {
    this.#drainScheduled = undefined;
    for (const delivery of this.#pending.splice(0)) delivery();
  }
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}
