import type { ServerEvent, ServerEventBus } from "@modelcontextprotocol/server";

type Listener = (event: ServerEvent) => void;

/** What {@link ReplicaEventBus} reports: a listener that threw on an event. */
export type ReplicaEventBusErrorHandler = (error: Error, event: ServerEvent) => void;

/**
 * The `ServerEventBus` the replica's 2026-07-28 handler serves `subscriptions/listen` from, with
 * two sources, so that every listen stream gets each change exactly once:
 *
 * - **this replica's own**, {@link deliverLocally}: a change every replica sees for itself (each
 *   replica listens to every modern backend, see `ListenFanIn`) goes to this replica's streams
 *   only. Put on a shared bus, it would reach each stream once per replica.
 * - **the shared bus** ({@link attach}, `publish`): a change only one replica can see (in time,
 *   a 2025-era backend's notification on a session that replica holds) crosses to every
 *   replica's streams over the gateway's `SessionMessageBus` (session-core's
 *   `MessageBusServerEventBus`; its loss announcements arrive this way too).
 *
 * Each listener (one per open listen stream) is subscribed to both. Before a shared bus is
 * attached (it is opened at startup; a Redis bus that cannot be reached is attached once it
 * can), `publish` can only reach this replica, so it delivers locally.
 */
export class ReplicaEventBus implements ServerEventBus {
  readonly #listeners = new Map<Listener, (() => void) | undefined>();
  readonly #onError: ReplicaEventBusErrorHandler;
  #shared: ServerEventBus | undefined;

  /** @param onError told of a listener that threw (the others still get the event). */
  constructor(onError: ReplicaEventBusErrorHandler) {
    this.#onError = onError;
  }

  /** Listen streams open on this replica (registered listeners). */
  get listenerCount(): number {
    return this.#listeners.size;
  }

  /** Whether a shared bus is attached. */
  get attached(): boolean {
    return this.#shared !== undefined;
  }

  /**
   * Attaches the shared bus: every listener registered now or later is subscribed to it too.
   * Once only; the caller closes the shared bus (after the handler that uses this one).
   * @throws {Error} when a shared bus is attached already.
   */
  attach(shared: ServerEventBus): void {
    if (this.#shared !== undefined) throw new Error("a shared event bus is attached already");
    this.#shared = shared;
    for (const listener of this.#listeners.keys()) {
      this.#listeners.set(listener, shared.subscribe(listener));
    }
  }

  /** Publishes to every replica's streams (the shared bus), or locally while none is attached. */
  publish(event: ServerEvent): void {
    if (this.#shared === undefined) this.deliverLocally(event);
    else this.#shared.publish(event);
  }

  /** Hands `event` to this replica's streams only, synchronously. */
  deliverLocally(event: ServerEvent): void {
    for (const listener of [...this.#listeners.keys()]) {
      if (!this.#listeners.has(listener)) continue;
      try {
        listener(event);
      } catch (error) {
        this.#onError(error instanceof Error ? error : new Error(String(error)), event);
      }
    }
  }

  /**
   * Registers a listen stream's listener with both sources (the shared bus once attached);
   * returns an idempotent unsubscribe that leaves both.
   */
  subscribe(listener: Listener): () => void {
    // Each registration gets its own entry, so the same function registered twice is two streams.
    const entry: Listener = (event) => listener(event);
    this.#listeners.set(entry, this.#shared?.subscribe(entry));
    return () => {
      const leaveShared = this.#listeners.get(entry);
      if (!this.#listeners.delete(entry)) return;
      leaveShared?.();
    };
  }
}
