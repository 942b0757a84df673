import { DefaultMaxBusMessageBytes, LocalMessageBus } from "@vmcp/session-core/storage";

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

/**
 * A `SessionMessageBus` within this process: the message bus beside `MemoryStorage`, for one
 * replica. Each instance is its own bus (two instances never see each other's messages). It
 * keeps every semantic of the contract: fan-out to every live subscription, at most once, in
 * publish order (one FIFO for the whole bus), delivered on a later turn of the event loop
 * (`setImmediate`), nothing after `unsubscribe()`. Nothing here can become unreachable, so the
 * only `BusUnavailableError` is back-pressure ({@link InProcessMessageBusOptions.maxPendingMessages}).
 *
 * The semantics are session-core's `LocalMessageBus`; this class gives its bounds their defaults.
 */
export class InProcessMessageBus extends LocalMessageBus {
  /** @throws {RangeError} when a bound is not a positive integer. */
  constructor(options: InProcessMessageBusOptions = {}) {
    const bounds = {
      maxMessageBytes: options.maxMessageBytes ?? DefaultMaxBusMessageBytes,
      maxPendingMessages: options.maxPendingMessages ?? DefaultMaxPendingMessages,
    };
    const { onHandlerError } = options;
    super(onHandlerError === undefined ? bounds : { ...bounds, onHandlerError });
  }
}
