/** The default bound on one session's backend requests in flight at once: 16. */
export const DefaultMaxConcurrentBackendRequests = 16;

/** The default bound on one session's backend requests waiting for a slot: 256. */
export const DefaultMaxQueuedBackendRequests = 256;

interface Waiter {
  readonly start: () => void;
}

/**
 * A counting semaphore with a bounded FIFO queue: at most `maxConcurrent` tasks run at once, at
 * most `maxQueued` more wait; a task beyond both is refused at once with the error `refuse`
 * makes. A waiting task whose `signal` aborts leaves the queue and rejects with the signal's
 * reason. Used per session for backend requests, so one client cannot open thousands of
 * requests against the backends.
 */
export class ConcurrencyLimit {
  /** Tasks allowed to run at once. */
  readonly maxConcurrent: number;
  /** Tasks allowed to wait for a slot. */
  readonly maxQueued: number;
  readonly #refuse: () => Error;
  readonly #queue: Waiter[] = [];
  #active = 0;

  /**
   * @param refuse makes the error thrown for a task that finds every slot and queue place taken.
   * @throws {RangeError} for a `maxConcurrent` below 1 or a negative `maxQueued`.
   */
  constructor(maxConcurrent: number, maxQueued: number, refuse: () => Error) {
    if (!Number.isSafeInteger(maxConcurrent) || maxConcurrent < 1) {
      throw new RangeError(
        `maxConcurrent must be a positive integer, got ${String(maxConcurrent)}`,
      );
    }
    if (!Number.isSafeInteger(maxQueued) || maxQueued < 0) {
      throw new RangeError(`maxQueued must be a non-negative integer, got ${String(maxQueued)}`);
    }
    this.maxConcurrent = maxConcurrent;
    this.maxQueued = maxQueued;
    this.#refuse = refuse;
  }

  /** Tasks running now. */
  get active(): number {
    return this.#active;
  }

  /** Tasks waiting for a slot now. */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Runs `task` once a slot is free (at once when one is).
   * @throws the `refuse` error when every slot and queue place is taken;
   *   the signal's reason when `signal` aborts while the task waits.
   */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.#active < this.maxConcurrent) {
      this.#active++;
    } else {
      if (this.#queue.length >= this.maxQueued) throw this.#refuse();
      signal?.throwIfAborted();
      await this.#wait(signal);
    }
    try {
      return await task();
    } finally {
      this.#release();
    }
  }

  /** Waits in the queue; the slot is handed over by `#release` (the active count stays). */
  #wait(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const index = this.#queue.indexOf(waiter);
        if (index !== -1) this.#queue.splice(index, 1);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        start: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      this.#queue.push(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  #release(): void {
    const next = this.#queue.shift();
    if (next === undefined) this.#active--;
    else next.start();
  }
}
