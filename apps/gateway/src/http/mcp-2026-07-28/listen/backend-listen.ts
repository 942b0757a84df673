import {
  Client,
  type McpSubscription,
  StreamableHTTPClientTransport,
} from "@modelcontextprotocol/client";
import type { ServerEvent, SubscriptionFilter } from "@modelcontextprotocol/server";
import type { FetchFunction } from "@vmcp/session-core";
import { failureReason } from "../../../log-redaction.js";
import type { GatewayLogger } from "../../../logger.js";
import { GatewayServerInfo } from "../../../server-info.js";
import type { ModernBackend } from "../backends/modern-backends.js";
import { ChangeNotifications, catchUpEvents, eventOf, filterKey } from "./listen-filter.js";

/** Options of {@link BackendListen}. */
export interface BackendListenOptions {
  /** Receives each change the backend announces, once (and the catch-up events, see the class). */
  readonly onEvent: (event: ServerEvent) => void;
  /** Bound on a listen's acknowledgement, ms. */
  readonly ackTimeoutMs: number;
  /** Pause before listening again after a failure or the stream's end, ms; doubles per failure. */
  readonly retryInitialDelayMs: number;
  /** Cap of that pause, ms. */
  readonly retryMaxDelayMs: number;
  /** The fetch of the backend transport (the gateway's shared keep-alive one). */
  readonly fetch?: FetchFunction;
  readonly log: GatewayLogger;
}

interface Attempt {
  readonly client: Client;
  readonly subscription: McpSubscription;
  readonly key: string;
}

interface Waiter {
  readonly key: string;
  readonly resolve: () => void;
}

/** The notifications a backend listen stream delivers, typed for `setNotificationHandler`. */
const NotificationMethods = Object.keys(
  ChangeNotifications,
) as (keyof typeof ChangeNotifications)[];

/**
 * One replica's `subscriptions/listen` stream to one 2026-07-28 backend, kept open: an SDK v2
 * `Client` connected with the backend's stored `discover` as its `prior` (no round trip), whose
 * `listen(filter)` notifications become events ({@link BackendListenOptions.onEvent}).
 *
 * - **Kept open.** When the stream ends (the backend restarted, closed it, or the connection
 *   dropped) or a listen fails, the backend is asked again after `retryInitialDelayMs`, doubling
 *   per failure (and per stream that ended sooner than `retryMaxDelayMs` after it opened) up to
 *   `retryMaxDelayMs`. The first listen acknowledged after such a gap hands
 *   over the catch-up events (`catchUpEvents`: every list it follows changed, every resource it
 *   follows was updated), since changes may have been missed meanwhile.
 * - **Changed without a gap.** {@link update} with another filter (other resource URIs) opens a
 *   new listen before the old one closes; events come from the old stream until the new one is
 *   acknowledged, then from the new one only.
 * - A listen the backend acknowledges with nothing honoured counts as failed.
 */
export class BackendListen {
  readonly workloadId: string;
  readonly #o: BackendListenOptions;
  readonly #abort = new AbortController();
  #backend: ModernBackend;
  #filter: SubscriptionFilter;
  #key: string;
  #current: Attempt | undefined;
  /** Whether changes may have been missed since the last acknowledged listen. */
  #gap = false;
  /**
   * Whether no listen is open because the last one failed or ended: updates then wait for
   * nothing and wake nothing (the next try, after its pause, takes the latest filter).
   */
  #down = false;
  #waiters: Waiter[] = [];
  /** The next pause before listening again, ms. */
  #delayMs: number;
  #wake: (() => void) | undefined;
  readonly #loop: Promise<void>;

  /**
   * Starts listening to `backend` with `filter` (see {@link update} for when it is acknowledged).
   */
  constructor(backend: ModernBackend, filter: SubscriptionFilter, options: BackendListenOptions) {
    this.workloadId = backend.workloadId;
    this.#o = options;
    this.#backend = backend;
    this.#filter = filter;
    this.#key = filterKey(filter);
    this.#delayMs = options.retryInitialDelayMs;
    this.#loop = this.#run();
  }

  /**
   * Resolves once a listen with the current filter was acknowledged or failed (at once when it
   * is open already, or while none is open because the last failed or ended: the next try, after
   * its pause, takes the filter).
   */
  ready(): Promise<void> {
    if (this.#closed || this.#down || this.#current?.key === this.#key) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ key: this.#key, resolve }));
  }

  /**
   * Follows `backend` (a newer verdict of the same backend: later listens connect with its
   * `discover`) with `filter` from now on, listening anew only when the filter differs; resolves
   * as {@link ready} does.
   */
  update(backend: ModernBackend, filter: SubscriptionFilter): Promise<void> {
    this.#backend = backend;
    const key = filterKey(filter);
    if (key !== this.#key) {
      this.#filter = filter;
      this.#key = key;
      if (!this.#down) this.#wake?.();
    }
    return this.ready();
  }

  /** Closes the stream and stops listening. Idempotent. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#abort.abort();
      this.#wake?.();
      this.#settleWaiters(() => true);
      const current = this.#current;
      this.#current = undefined;
      if (current !== undefined) await dispose(current);
    }
    await this.#loop;
  }

  get #closed(): boolean {
    return this.#abort.signal.aborted;
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (!this.#closed) {
      if (this.#current?.key === this.#key) {
        await this.#pause(undefined);
        // The stream ended (not replaced): wait before listening again.
        if (this.#current === undefined && !this.#closed) await this.#backOff();
        continue;
      }
      const key = this.#key;
      const filter = this.#filter;
      let attempt: Attempt;
      try {
        attempt = await this.#listen(this.#backend, filter, key);
      } catch (error) {
        if (this.#closed) break;
        failures++;
        if (this.#current === undefined) {
          this.#gap = true;
          this.#down = true;
        }
        this.#o.log[failures === 1 ? "warn" : "debug"](
          { workloadId: this.workloadId, reason: failureReason(error), retryInMs: this.#delayMs },
          "backend listen failed: 2026-07-28 listen streams miss its changes until it answers",
        );
        this.#settleWaiters(() => true);
        await this.#backOff();
        continue;
      }
      if (this.#closed) {
        await dispose(attempt);
        break;
      }
      this.#use(attempt, filter, failures);
      failures = 0;
    }
    this.#settleWaiters(() => true);
  }

  /** Waits the current pause, and doubles the next (up to the cap). */
  async #backOff(): Promise<void> {
    await this.#pause(this.#delayMs);
    this.#delayMs = Math.min(this.#delayMs * 2, this.#o.retryMaxDelayMs);
  }

  /** Makes `attempt` the stream events come from, and watches its end. */
  #use(attempt: Attempt, filter: SubscriptionFilter, failures: number): void {
    const old = this.#current;
    this.#current = attempt;
    this.#down = false;
    if (this.#gap) {
      this.#gap = false;
      this.#o.log.info(
        { workloadId: this.workloadId, failedTries: failures },
        "backend listen open again: listen streams told to catch up",
      );
      for (const event of catchUpEvents(filter)) this.#o.onEvent(event);
    }
    this.#settleWaiters((w) => w.key === attempt.key);
    if (old !== undefined) void dispose(old);
    const openedAt = performance.now();
    void attempt.subscription.closed.then((cause) => {
      if (this.#current !== attempt) return;
      // A stream that lived past the longest pause resets it; one the backend keeps ending at
      // once (a flapping backend) is listened to again less and less often.
      if (performance.now() - openedAt >= this.#o.retryMaxDelayMs) {
        this.#delayMs = this.#o.retryInitialDelayMs;
      }
      this.#current = undefined;
      this.#gap = true;
      this.#down = true;
      this.#o.log.debug({ workloadId: this.workloadId, cause }, "backend listen stream ended");
      this.#wake?.();
    });
  }

  async #listen(backend: ModernBackend, filter: SubscriptionFilter, key: string): Promise<Attempt> {
    const client = new Client(GatewayServerInfo);
    let attempt: Attempt | undefined;
    for (const method of NotificationMethods) {
      client.setNotificationHandler(method, (notification) => {
        // Only the stream in use delivers (during a change of filter, two are open).
        if (attempt === undefined || this.#current !== attempt) return;
        const event = eventOf(method, notification.params as Record<string, unknown> | undefined);
        if (event !== undefined) this.#o.onEvent(event);
      });
    }
    const transport = new StreamableHTTPClientTransport(new URL(backend.url), {
      requestInit: { headers: { ...backend.headers } },
      ...(this.#o.fetch === undefined ? {} : { fetch: this.#o.fetch }),
    });
    try {
      await client.connect(transport, { prior: { kind: "modern", discover: backend.discover } });
      const subscription = await client.listen(filter, {
        timeout: this.#o.ackTimeoutMs,
        signal: this.#abort.signal,
      });
      attempt = { client, subscription, key };
      if (Object.keys(subscription.honoredFilter).length === 0) {
        await dispose(attempt);
        throw new Error("the backend acknowledged the listen with nothing honoured");
      }
      return attempt;
    } catch (error) {
      await client.close().catch(() => undefined);
      throw error;
    }
  }

  /** Waits `ms` (or, with `undefined`, until woken), or until woken or closed. */
  #pause(ms: number | undefined): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      timer?.unref();
      const self = this;
      function done() {
        clearTimeout(timer);
        if (self.#wake === done) self.#wake = undefined;
        resolve();
      }
      this.#wake = done;
    });
  }

  #settleWaiters(which: (waiter: Waiter) => boolean): void {
    const settled = this.#waiters.filter(which);
    this.#waiters = this.#waiters.filter((w) => !which(w));
    for (const waiter of settled) waiter.resolve();
  }
}

/** Closes a listen and its client (the close aborts the stream; nothing waits on the backend). */
async function dispose(attempt: Attempt): Promise<void> {
  const closing = attempt.subscription.close().catch(() => undefined);
  await attempt.client.close().catch(() => undefined);
  await closing;
}
