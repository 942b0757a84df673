import type { ServerEvent } from "@modelcontextprotocol/server";
import type { GatewayLogger } from "../../../logger.js";

/** Default window over which one replica gathers equal change events before publishing one, ms: 100. */
export const DefaultChangeCoalesceMs = 100;

/** Options of {@link CoalescedChanges}. */
export interface CoalescedChangesOptions {
  /** Publishes one event to every replica's listen streams (`ReplicaEventBus.publish`). */
  readonly publish: (event: ServerEvent) => void;
  /** Window over which equal events are gathered, ms; 0 publishes each at once. Default {@link DefaultChangeCoalesceMs}. */
  readonly windowMs?: number;
  /** Distinct events waiting in one window at most (resource URIs); past it, events are dropped and logged. Default 1,024. */
  readonly maxPending?: number;
  readonly log: GatewayLogger;
}

/**
 * The changes one replica sees on 2025-era backends (a `list_changed` or resource update on a
 * pooled backend session it holds), published on the shared event bus so that every replica's
 * `subscriptions/listen` streams hear them, at most once per window per replica:
 * the first sighting of an event (its kind, and URI for a resource update) opens a window of
 * `windowMs`; sightings of the same event within it (the same change on N pooled sessions of N
 * callers, or on several backends: the published event does not name its backend) are folded into
 * the one published when the window closes.
 *
 * A change seen on two replicas within a window is published by each: a listen stream may then
 * hear it once per replica. A `list_changed` is a hint to list again, so a second one costs a
 * client one more list and loses nothing.
 */
export class CoalescedChanges {
  readonly #o: CoalescedChangesOptions;
  readonly #windowMs: number;
  readonly #maxPending: number;
  /** Event key to the event waiting for its window to close. */
  readonly #pending = new Map<string, ServerEvent>();
  #timer: NodeJS.Timeout | undefined;
  #folded = 0;
  #closed = false;

  constructor(options: CoalescedChangesOptions) {
    this.#o = options;
    this.#windowMs = options.windowMs ?? DefaultChangeCoalesceMs;
    this.#maxPending = options.maxPending ?? 1_024;
  }

  /** Events waiting for their window (for tests and operators). */
  get pending(): number {
    return this.#pending.size;
  }

  /** A change of backend `workloadId` seen on this replica. Never throws. */
  seen(workloadId: string, event: ServerEvent): void {
    if (this.#closed) return;
    if (this.#windowMs === 0) {
      this.#publish(event);
      return;
    }
    const key = event.kind === "resource_updated" ? `${event.kind}\n${event.uri}` : event.kind;
    if (this.#pending.has(key)) {
      this.#folded++;
      return;
    }
    if (this.#pending.size >= this.#maxPending) {
      this.#o.log.warn(
        { workloadId, event: event.kind },
        "2025-era backend change dropped: too many distinct changes waiting in one window",
      );
      return;
    }
    this.#o.log.debug({ workloadId, event: event.kind }, "2025-era backend change seen");
    this.#pending.set(key, event);
    // One window for all: every event seen in it is published when it closes.
    this.#timer ??= setTimeout(() => this.#flush(), this.#windowMs);
    this.#timer.unref();
  }

  /** Publishes what waits, and stops. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#flush();
    this.#closed = true;
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const events = [...this.#pending.values()];
    this.#pending.clear();
    if (this.#folded > 0) {
      this.#o.log.debug({ folded: this.#folded }, "2025-era backend changes folded into one");
      this.#folded = 0;
    }
    for (const event of events) this.#publish(event);
  }

  #publish(event: ServerEvent): void {
    try {
      this.#o.publish(event);
    } catch (error) {
      this.#o.log.warn({ err: error, event: event.kind }, "2025-era backend change not published");
    }
  }
}
