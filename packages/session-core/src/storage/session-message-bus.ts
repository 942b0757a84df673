/**
 * The session message bus: the second pluggable contract beside `SessionStorage`. A replica
 * publishes to a session, and every replica that has something in flight for that session (a
 * backend request waiting for the client's answer, the client's `GET /mcp` stream) subscribes
 * to it for as long as it does. It carries the way back across replicas: a client's answer to a
 * server-to-client request, a cancellation, an unsolicited notification for the stream holder.
 *
 * Messages are opaque strings (the gateway sends JSON envelopes); the bus never parses them.
 */

/** The default bound on `publish` and `subscribe`, ms: as long as a storage operation's. */
export const DefaultBusTimeoutMs = 1_500;

/** The default largest message, in UTF-8 bytes: 1 MiB. */
export const DefaultMaxBusMessageBytes = 1_048_576;

/** What {@link SessionMessageBus.subscribe} calls with each message. It must not throw. */
export type BusMessageHandler = (message: string) => void;

/** One live subscription: see {@link SessionMessageBus.subscribe}. */
export interface BusSubscription {
  /** The session this subscription listens to. */
  readonly sessionId: string;
  /**
   * Ends the subscription. Once the returned promise resolves, the handler is never called
   * again. Idempotent; never rejects (a bus that cannot reach its server forgets the
   * subscription locally, and the server drops it with the connection).
   */
  unsubscribe(): Promise<void>;
}

/**
 * A publish/subscribe channel per session, shared by every replica that uses the same bus
 * server. Every implementation keeps the same semantics, which the bus conformance suite of
 * `@vmcp/storage-test-suite` pins:
 *
 * - **Fan-out.** A message published to a session reaches every subscription to that session that
 *   was live (its `subscribe` had resolved) when the message was published, on any replica,
 *   including subscriptions made through the publishing bus itself.
 * - **At most once.** A message is delivered to each subscription once or not at all: never
 *   twice. A message published while a subscription's connection is down is lost for it; nothing
 *   is stored for later. Callers that need an answer build it on top (a reply message and a
 *   timeout).
 * - **Per-session order.** Messages that one bus publishes to one session reach each subscription
 *   in the order `publish` was called. Messages from different buses (replicas) have no order
 *   between them.
 * - **Never synchronous.** A handler is never called inside `publish` or `subscribe`; delivery
 *   is always a later turn of the event loop.
 * - **Nothing after unsubscribe.** Once `unsubscribe()` resolves, its handler is not called again.
 * - **Reconnect resubscribes.** After a lost connection the bus subscribes every live
 *   subscription again on its own; delivery resumes without a call from the user.
 * - **Bounded.** `publish` and `subscribe` settle within the bus's timeout (default
 *   {@link DefaultBusTimeoutMs}); an unreachable server gives `BusUnavailableError`, never a hang
 *   and never an unhandled `error` event. A message over the bus's size bound (default
 *   {@link DefaultMaxBusMessageBytes}) gives `BusMessageTooLargeError` before any I/O.
 * - **Checked input.** Every method validates the session ID first (`InvalidSessionIdError`).
 * - **Closed.** After `close()`, `publish` and `subscribe` throw `BusClosedError`; `close()`
 *   ends every subscription and releases every timer, socket and listener.
 */
export interface SessionMessageBus {
  /**
   * Publishes `message` to the session's current subscribers. Resolves once the bus server has
   * accepted it (for an in-process bus: at once), not once it is delivered; resolving says
   * nothing about whether anyone was listening.
   * @throws {InvalidSessionIdError} for a malformed session ID.
   * @throws {BusMessageTooLargeError} for a message over the size bound.
   * @throws {BusUnavailableError} when the server cannot be reached within the timeout.
   * @throws {BusClosedError} after `close()`.
   */
  publish(sessionId: string, message: string): Promise<void>;
  /**
   * Calls `onMessage` with every message published to the session from the moment the returned
   * promise resolves until the subscription's `unsubscribe()`. One bus may hold many
   * subscriptions to one session; each gets every message.
   * @throws {InvalidSessionIdError} for a malformed session ID.
   * @throws {BusUnavailableError} when the server cannot be reached within the timeout.
   * @throws {BusClosedError} after `close()`.
   */
  subscribe(sessionId: string, onMessage: BusMessageHandler): Promise<BusSubscription>;
  /** Ends every subscription and releases every resource. Idempotent. */
  close(): Promise<void>;
}
