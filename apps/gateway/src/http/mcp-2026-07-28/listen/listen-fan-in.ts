import type { ServerEvent, SubscriptionFilter } from "@modelcontextprotocol/server";
import type { FetchFunction } from "@vmcp/session-core";
import type { GatewayLogger } from "../../../logger.js";
import type { ModernBackend, ModernBackendSet } from "../backends/modern-backends.js";
import { BackendListen } from "./backend-listen.js";
import { backendFilter, catchUpEvents } from "./listen-filter.js";

/** Default pause before the URIs of closed listen streams are dropped from the backends' listens, ms: 1,000. */
export const DefaultUriReleaseDelayMs = 1_000;

/** Default time the backend listens stay open after the replica's last listen stream closed, ms: 30,000. */
export const DefaultIdleCloseMs = 30_000;

/** Options of {@link ListenFanIn}. */
export interface ListenFanInOptions {
  /** The current modern backends (`ModernBackends.current`). */
  readonly backends: { current(): Promise<ModernBackendSet> };
  /** Hands an event to this replica's listen streams (`ReplicaEventBus.deliverLocally`). */
  readonly deliver: (event: ServerEvent) => void;
  /**
   * Told of each event with the backend it is about (after `deliver`): a backend's change, its
   * catch-up events, and the announcements of a backend joining or leaving the set. Default:
   * nothing more (see {@link ListenFanIn.hold} for who else listens).
   */
  readonly onBackendEvent?: (workloadId: string, event: ServerEvent) => void;
  /** Distinct resource URIs the replica's listen streams may follow at once. */
  readonly maxResourceSubscriptions: number;
  /** Bound on a backend listen's acknowledgement, ms (and so on a client listen's wait for it). */
  readonly ackTimeoutMs: number;
  /** First pause before a backend is asked to listen again, ms; doubles per failure. */
  readonly retryInitialDelayMs: number;
  /** Cap of that pause, ms. */
  readonly retryMaxDelayMs: number;
  /** How often the backend set is read again while listen streams are open, ms. */
  readonly setCheckIntervalMs: number;
  /** Pause before URIs no stream follows any more leave the backend listens, ms; default {@link DefaultUriReleaseDelayMs}. */
  readonly uriReleaseDelayMs?: number;
  /** How long backend listens outlive the last listen stream, ms; default {@link DefaultIdleCloseMs}. */
  readonly idleCloseMs?: number;
  readonly fetch?: FetchFunction;
  readonly log: GatewayLogger;
}

/** What {@link ListenFanIn.open} gives a listen stream. */
export type OpenedListen =
  | { readonly kind: "opened"; readonly release: () => void }
  | { readonly kind: "limit" };

/**
 * The fan-in of backend changes for one replica's `subscriptions/listen` streams. While the
 * replica has listen streams open, it keeps ONE listen per modern backend that offers changes
 * (`BackendListen`, filter `backendFilter`: every `listChanged` the backend declares, and the
 * union of the resource URIs the replica's streams follow when it declares `resources.subscribe`)
 * and hands each backend change to this replica's streams, once ({@link ListenFanInOptions.deliver}).
 * Every replica does the same on its own, so no backend change crosses the message bus and no
 * stream hears it twice.
 *
 * Besides listen streams, {@link hold} keeps the backend listens open (for the replica's 2025-era
 * client sessions that reach modern backends: each event is also handed, with its backend, to
 * {@link ListenFanInOptions.onBackendEvent}), and {@link follow} makes them follow the URIs those
 * sessions subscribe (counted with the streams' URIs, not as a stream).
 *
 * - A listen stream is counted from {@link open} until its release; `open` resolves once every
 *   backend listen covers the stream's URIs (acknowledged, or failed: a backend that does not
 *   answer holds no client up), so a stream hears every change made after its acknowledgement.
 * - URIs that no stream follows any more leave the backend listens after `uriReleaseDelayMs`;
 *   the backend listens close `idleCloseMs` after the last stream.
 * - The backend set is read at each `open` and every `setCheckIntervalMs` while streams are
 *   open: a backend that joins or leaves it is announced to the streams as changes of the lists
 *   it offers, since the gateway's own lists changed.
 */
export class ListenFanIn {
  readonly #o: ListenFanInOptions;
  readonly #listens = new Map<string, BackendListen>();
  /** Resource URI to the number of open streams following it. */
  readonly #uris = new Map<string, number>();
  #streams = 0;
  /** Holds that keep the backend listens open without a listen stream ({@link hold}). */
  #holds = 0;
  /** The backend set as last read, by workload ID; `undefined` while no stream is open. */
  #members: Map<string, ModernBackend> | undefined;
  #closed = false;
  #releaseTimer: NodeJS.Timeout | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #checkTimer: NodeJS.Timeout | undefined;
  #reconciling: Promise<void> = Promise.resolve();
  /** Reconciliations asked for and not finished. */
  #pending = 0;

  constructor(options: ListenFanInOptions) {
    this.#o = options;
  }

  /** Listen streams counted now. */
  get streams(): number {
    return this.#streams;
  }

  /**
   * Counts a listen stream that follows `uris` and brings the backend listens up to date
   * (see the class). `limit` when the stream's new URIs would take the replica past
   * `maxResourceSubscriptions` (nothing is counted then).
   */
  open(uris: readonly string[]): Promise<OpenedListen> {
    return this.#open(uris, "stream");
  }

  /**
   * Makes the backend listens follow `uris` (refcounted with the listen streams' URIs, under the
   * same `maxResourceSubscriptions`) without counting as a listen stream, as {@link hold} does:
   * for a 2025-era session's `resources/subscribe` to a modern backend. Resolves as {@link open}
   * does; `limit` when the new URIs would take the replica past its bound.
   */
  follow(uris: readonly string[]): Promise<OpenedListen> {
    return this.#open(uris, "hold");
  }

  /** Distinct resource URIs the backend listens follow now (streams' and follows' together). */
  get followedUris(): number {
    return this.#uris.size;
  }

  async #open(uris: readonly string[], as: "stream" | "hold"): Promise<OpenedListen> {
    const fresh = uris.filter((u) => !this.#uris.has(u));
    if (this.#uris.size + fresh.length > this.#o.maxResourceSubscriptions) return { kind: "limit" };
    if (as === "stream") this.#streams++;
    else this.#holds++;
    for (const uri of uris) this.#uris.set(uri, (this.#uris.get(uri) ?? 0) + 1);
    this.#engaged();
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      if (as === "stream") this.#streams--;
      else this.#holds--;
      this.#release(uris);
    };
    await this.#reconcile();
    return { kind: "opened", release };
  }

  /**
   * Keeps the backend listens open, as a listen stream following no resource would, without
   * counting as one (`streams`, and so `maxSubscriptions`, leave it out); resolves, once the
   * backend listens are up to date, an idempotent release.
   */
  async hold(): Promise<() => void> {
    this.#holds++;
    this.#engaged();
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.#holds--;
      this.#release([]);
    };
    await this.#reconcile();
    return release;
  }

  /** Whether listen streams or holds keep the backend listens open. */
  get #interested(): boolean {
    return this.#streams + this.#holds > 0;
  }

  /** A stream or hold arrived: no idle close, and the backend set is read on its period. */
  #engaged(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    if (this.#checkTimer === undefined && !this.#closed) {
      this.#checkTimer = setInterval(() => {
        if (this.#pending === 0) void this.#reconcile();
      }, this.#o.setCheckIntervalMs);
      this.#checkTimer.unref();
    }
  }

  /** Closes every backend listen and stops. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#stopTimers();
    const listens = [...this.#listens.values()];
    this.#listens.clear();
    this.#members = undefined;
    // Closing them releases a reconciliation that waits on their acknowledgement.
    await Promise.all(listens.map((l) => l.close()));
    await this.#reconciling;
  }

  /** A stream (following `uris`) or a hold left. */
  #release(uris: readonly string[]): void {
    let dropped = false;
    for (const uri of uris) {
      const left = (this.#uris.get(uri) ?? 1) - 1;
      if (left > 0) this.#uris.set(uri, left);
      else {
        this.#uris.delete(uri);
        dropped = true;
      }
    }
    if (this.#closed) return;
    if (!this.#interested) {
      clearInterval(this.#checkTimer);
      this.#checkTimer = undefined;
      this.#idleTimer = setTimeout(
        () => void this.#closeIdle(),
        this.#o.idleCloseMs ?? DefaultIdleCloseMs,
      );
      this.#idleTimer.unref();
    }
    if (dropped && this.#releaseTimer === undefined) {
      this.#releaseTimer = setTimeout(() => {
        this.#releaseTimer = undefined;
        void this.#reconcile();
      }, this.#o.uriReleaseDelayMs ?? DefaultUriReleaseDelayMs);
      this.#releaseTimer.unref();
    }
  }

  async #closeIdle(): Promise<void> {
    this.#idleTimer = undefined;
    if (this.#interested || this.#closed) return;
    await this.#reconciling.catch(() => undefined);
    if (this.#interested || this.#closed) return;
    const listens = [...this.#listens.values()];
    this.#listens.clear();
    this.#members = undefined;
    clearTimeout(this.#releaseTimer);
    this.#releaseTimer = undefined;
    await Promise.all(listens.map((l) => l.close()));
  }

  /** One reconciliation after any in flight (they never overlap). */
  #reconcile(): Promise<void> {
    this.#pending++;
    this.#reconciling = this.#reconciling
      .then(() => this.#reconcileNow())
      .catch((error: unknown) =>
        this.#o.log.warn({ err: error }, "listen fan-in: backend listens not brought up to date"),
      )
      .finally(() => {
        this.#pending--;
      });
    return this.#reconciling;
  }

  async #reconcileNow(): Promise<void> {
    // With no interest left, listens still open (until their idle close) drop released URIs.
    if (this.#closed || (!this.#interested && this.#listens.size === 0)) return;
    const set = await this.#o.backends.current();
    if (this.#closed) return;
    this.#announceSetChanges(set);
    const uris = [...this.#uris.keys()];
    const wanted = new Map<string, { backend: ModernBackend; filter: SubscriptionFilter }>();
    for (const backend of set.backends) {
      const filter = backendFilter(backend.discover.capabilities, uris);
      if (filter !== undefined) wanted.set(backend.workloadId, { backend, filter });
    }
    for (const [workloadId, listen] of this.#listens) {
      if (wanted.has(workloadId)) continue;
      this.#listens.delete(workloadId);
      void listen.close();
    }
    const waits: Promise<void>[] = [];
    for (const [workloadId, { backend, filter }] of wanted) {
      const listen = this.#listens.get(workloadId);
      if (listen !== undefined) {
        waits.push(listen.update(backend, filter));
        continue;
      }
      const created = new BackendListen(backend, filter, {
        onEvent: (event) => this.#hand(workloadId, event),
        ackTimeoutMs: this.#o.ackTimeoutMs,
        retryInitialDelayMs: this.#o.retryInitialDelayMs,
        retryMaxDelayMs: this.#o.retryMaxDelayMs,
        ...(this.#o.fetch === undefined ? {} : { fetch: this.#o.fetch }),
        log: this.#o.log,
      });
      this.#listens.set(workloadId, created);
      waits.push(created.ready());
    }
    await Promise.all(waits);
  }

  /**
   * Tells the streams that the lists of a backend that joined or left the set changed (the
   * gateway's own lists did), by the lists the backend offers. Nothing on the first read after
   * the replica had no streams: no stream listened before.
   */
  #announceSetChanges(set: ModernBackendSet): void {
    const previous = this.#members;
    const members = new Map(set.backends.map((b) => [b.workloadId, b] as const));
    this.#members = members;
    if (previous === undefined) return;
    const changed = [
      ...[...members.values()].filter((b) => !previous.has(b.workloadId)),
      ...[...previous.values()].filter((b) => !members.has(b.workloadId)),
    ];
    for (const backend of changed) {
      const { tools, prompts, resources } = backend.discover.capabilities;
      this.#o.log.debug(
        { workloadId: backend.workloadId, joined: members.has(backend.workloadId) },
        "listen fan-in: the backend set changed",
      );
      for (const event of catchUpEvents({
        ...(tools === undefined ? {} : { toolsListChanged: true }),
        ...(prompts === undefined ? {} : { promptsListChanged: true }),
        ...(resources === undefined ? {} : { resourcesListChanged: true }),
      })) {
        this.#hand(backend.workloadId, event);
      }
    }
  }

  /** An event of backend `workloadId`: to this replica's listen streams, then to `onBackendEvent`. */
  #hand(workloadId: string, event: ServerEvent): void {
    this.#o.deliver(event);
    try {
      this.#o.onBackendEvent?.(workloadId, event);
    } catch (error) {
      this.#o.log.warn(
        { err: error, workloadId },
        "listen fan-in: a backend event's watcher failed",
      );
    }
  }

  #stopTimers(): void {
    clearTimeout(this.#releaseTimer);
    clearTimeout(this.#idleTimer);
    clearInterval(this.#checkTimer);
    this.#releaseTimer = undefined;
    this.#idleTimer = undefined;
    this.#checkTimer = undefined;
  }
}
