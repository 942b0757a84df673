import type { ServerEvent, ServerEventBus } from "@modelcontextprotocol/server";

type Listener = (event: ServerEvent) => void;

/** What {@link ReplicaEventBus} reports: a listener that threw on an event. */
export type ReplicaEventBusErrorHandler = (error: Error, event: ServerEvent) => void;

/** Default time an event this replica published waits for its own echo from the shared bus, ms: 5,000. */
export const DefaultEchoWaitMs = 5_000;

/** Most published events waiting for their echo at once (the oldest are forgotten past it). */
const MaxPendingEchoes = 1_024;

/**
 * The `ServerEventBus` the replica's 2026-07-28 handler serves `subscriptions/listen` from, with
 * two sources, so that every listen stream gets each change exactly once:
 *
 * - **this replica's own**, {@link deliverLocally}: a change every replica sees for itself (each
 *   replica listens to every modern backend, see `ListenFanIn`) goes to this replica's streams
 *   only. Put on a shared bus, it would reach each stream once per replica.
 * - **the shared bus** ({@link attach}, `publish`): a change only one replica can see (a 2025-era
 *   backend's notification on a pooled session that replica holds) crosses to every replica's
 *   streams over the gateway's `SessionMessageBus` (session-core's `MessageBusServerEventBus`;
 *   its loss announcements arrive this way too).
 *
 * `publish` hands the event to this replica's streams at once and sends it on the shared bus for
 * the others; the shared bus's echo of it (its adapter hands every replica's events back to the
 * publisher too) is then dropped here: the first event of the same kind (and URI) from the
 * shared bus within `echoWaitMs`. So a bus that is down loses the event on the other replicas
 * only. Events of one kind and URI are all alike, so the one dropped is always one this
 * replica's streams have just had.
 *
 * Before a shared bus is attached (it is opened at startup; a Redis bus that cannot be reached
 * is attached once it can), `publish` can only reach this replica.
 */
export class ReplicaEventBus implements ServerEventBus {
  readonly #listeners = new Set<Listener>();
  readonly #onError: ReplicaEventBusErrorHandler;
  readonly #echoWaitMs: number;
  /** Key of an event published here to the times (performance.now, ms) its echoes are due by. */
  readonly #echoes = new Map<string, number[]>();
  #echoCount = 0;
  #shared: ServerEventBus | undefined;
  #leaveShared: (() => void) | undefined;

  /**
   * @param onError told of a listener that threw (the others still get the event).
   * @param echoWaitMs how long a published event's echo is waited for, ms; default {@link DefaultEchoWaitMs}.
   */
  constructor(onError: ReplicaEventBusErrorHandler, echoWaitMs = DefaultEchoWaitMs) {
    this.#onError = onError;
    this.#echoWaitMs = echoWaitMs;
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
   * Attaches the shared bus: its events (but the echoes of this replica's own) reach every
   * listener registered now or later. Once only; the caller closes the shared bus (after the
   * handler that uses this one).
   * @throws {Error} when a shared bus is attached already.
   */
  attach(shared: ServerEventBus): void {
    if (this.#shared !== undefined) throw new Error("a shared event bus is attached already");
    this.#shared = shared;
    this.#leaveShared = shared.subscribe((event) => this.#fromShared(event));
  }

  /** Hands `event` to this replica's streams, and to every other replica's over the shared bus. */
  publish(event: ServerEvent): void {
    this.deliverLocally(event);
    if (this.#shared === undefined) return;
    this.#expectEcho(keyOf(event));
    this.#shared.publish(event);
  }

  /** Hands `event` to this replica's streams only, synchronously. */
  deliverLocally(event: ServerEvent): void {
    for (const listener of [...this.#listeners]) {
      if (!this.#listeners.has(listener)) continue;
      try {
        listener(event);
      } catch (error) {
        this.#onError(error instanceof Error ? error : new Error(String(error)), event);
      }
    }
  }

  /**
   * Registers a listen stream's listener (this replica's events and the shared bus's); returns
   * an idempotent unsubscribe.
   */
  subscribe(listener: Listener): () => void {
    // Each registration gets its own entry, so the same function registered twice is two streams.
    const entry: Listener = (event) => listener(event);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  /** Leaves the shared bus (its owner closes it). Idempotent. */
  detach(): void {
    this.#leaveShared?.();
    this.#leaveShared = undefined;
  }

  #fromShared(event: ServerEvent): void {
    if (this.#takeEcho(keyOf(event))) return;
    this.deliverLocally(event);
  }

  #expectEcho(key: string): void {
    const due = performance.now() + this.#echoWaitMs;
    const list = this.#echoes.get(key);
    if (list === undefined) this.#echoes.set(key, [due]);
    else list.push(due);
    if (++this.#echoCount > MaxPendingEchoes) this.#prune(true);
  }

  /** Whether an echo of `key` was due (it is then taken). */
  #takeEcho(key: string): boolean {
    const list = this.#echoes.get(key);
    if (list === undefined) return false;
    const now = performance.now();
    while (list.length > 0 && (list[0] as number) < now) {
      list.shift();
      this.#echoCount--;
    }
    const taken = list.length > 0;
    if (taken) {
      list.shift();
      this.#echoCount--;
    }
    if (list.length === 0) this.#echoes.delete(key);
    return taken;
  }

  /** Forgets expired echoes; with `oldest`, the oldest one too. */
  #prune(oldest: boolean): void {
    const now = performance.now();
    let first: { key: string; due: number } | undefined;
    for (const [key, list] of this.#echoes) {
      while (list.length > 0 && (list[0] as number) < now) {
        list.shift();
        this.#echoCount--;
      }
      if (list.length === 0) this.#echoes.delete(key);
      else if (first === undefined || (list[0] as number) < first.due) {
        first = { key, due: list[0] as number };
      }
    }
    if (oldest && this.#echoCount > MaxPendingEchoes && first !== undefined) {
      this.#echoes.get(first.key)?.shift();
      this.#echoCount--;
      if (this.#echoes.get(first.key)?.length === 0) this.#echoes.delete(first.key);
    }
  }
}

/** Events alike for a listen stream: same kind, and same URI for a resource update. */
function keyOf(event: ServerEvent): string {
  return event.kind === "resource_updated" ? `${event.kind}\n${event.uri}` : event.kind;
}
