/** The default least time between two list refreshes an unknown name may trigger: 1,000 ms. */
export const DefaultListRefreshIntervalMs = 1_000;

/**
 * Bounds the list refreshes that unknown names trigger in one session: at most one in flight
 * (callers meanwhile share it), and, while a routing table exists, none sooner than
 * `intervalMs` after the previous one started. Without a table (never listed, or forgotten after
 * a backend changed) a refresh is always allowed, still one at a time.
 */
export class ListRefreshGate {
  /** Least time between two refreshes, ms. */
  readonly intervalMs: number;
  readonly #now: () => number;
  #inFlight: Promise<void> | undefined;
  #lastStarted = Number.NEGATIVE_INFINITY;

  /**
   * @param intervalMs least time between refreshes, ms (0: no rate limit, still one at a time).
   * @param now the clock, ms. Default `performance.now`.
   * @throws {RangeError} for a negative or non-integer `intervalMs`.
   */
  constructor(intervalMs: number, now: () => number = () => performance.now()) {
    if (!Number.isSafeInteger(intervalMs) || intervalMs < 0) {
      throw new RangeError(
        `listRefreshIntervalMs must be a non-negative integer of ms, got ${String(intervalMs)}`,
      );
    }
    this.intervalMs = intervalMs;
    this.#now = now;
  }

  /**
   * Runs `refresh` unless one is in flight (then waits for that one) or, when
   * `options.tableExists`, one started less than `intervalMs` ago (then resolves at once without
   * refreshing). Rejects with the shared refresh's error.
   * @param options.tableExists whether the session has a routing table to answer from meanwhile;
   *   without one the refresh is never rate-limited.
   */
  refresh(
    options: { readonly tableExists: boolean },
    refresh: () => Promise<unknown>,
  ): Promise<void> {
    if (this.#inFlight !== undefined) return this.#inFlight;
    const now = this.#now();
    if (options.tableExists && now - this.#lastStarted < this.intervalMs) return Promise.resolve();
    this.#lastStarted = now;
    const pending = refresh()
      .then(() => undefined)
      .finally(() => {
        if (this.#inFlight === pending) this.#inFlight = undefined;
      });
    this.#inFlight = pending;
    return pending;
  }
}
