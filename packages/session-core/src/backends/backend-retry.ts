/**
 * Retrying, with backoff, the stored backends a live session could not reattach when it was
 * restored (a backend briefly unreachable then). Such a backend stays in the stored record (a
 * brief outage must not erase it for every replica), so the live session is short of what the
 * store lists; each later request gives it another try once its backoff has passed, until the
 * replica serves the same backends (and tool names) as every other.
 */

/** Default pause before the first retry of a backend missing after a restore: 500 ms. */
export const DefaultBackendRetryInitialDelayMs = 500;

/** Default cap of the doubling pause between retries of a missing backend: 10,000 ms. */
export const DefaultBackendRetryMaxDelayMs = 10_000;

/** Default time a request waits for the retries it started before going on without them: 250 ms. */
export const DefaultBackendRetryWaitMs = 250;

/** How a missing backend is retried ({@link SessionManagerOptions.backendRetry}). */
export interface BackendRetryOptions {
  /**
   * Pause after a failed reattach (at restore or a retry) before the next try, ms; it doubles
   * after each failure up to `maxDelayMs`.
   * @default 500 ({@link DefaultBackendRetryInitialDelayMs} in `@vmcp/session-core/defaults`)
   */
  readonly initialDelayMs?: number;
  /**
   * Upper bound of that pause, ms.
   * @default 10_000 ({@link DefaultBackendRetryMaxDelayMs} in `@vmcp/session-core/defaults`)
   */
  readonly maxDelayMs?: number;
  /**
   * How long the request that starts a retry waits for it, ms; the retry goes on in the
   * background after that, and a later request sees its result. `0` never waits.
   * @default 250 ({@link DefaultBackendRetryWaitMs} in `@vmcp/session-core/defaults`)
   */
  readonly waitMs?: number;
}

/** {@link BackendRetryOptions} with every default applied and checked. */
export interface BackendRetryPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly waitMs: number;
}

/**
 * Applies the defaults to `options` and checks them.
 * @throws {RangeError} for a negative or non-integer value, a zero `initialDelayMs`, or a `maxDelayMs` below `initialDelayMs`.
 */
export function backendRetryPolicy(options: BackendRetryOptions = {}): BackendRetryPolicy {
  const initialDelayMs = options.initialDelayMs ?? DefaultBackendRetryInitialDelayMs;
  const maxDelayMs = options.maxDelayMs ?? Math.max(DefaultBackendRetryMaxDelayMs, initialDelayMs);
  const waitMs = options.waitMs ?? DefaultBackendRetryWaitMs;
  const check = (name: string, value: number, min: number) => {
    if (!Number.isSafeInteger(value) || value < min) {
      throw new RangeError(
        `backendRetry.${name} must be an integer of ms >= ${min}, got ${String(value)}`,
      );
    }
  };
  check("initialDelayMs", initialDelayMs, 1);
  check("maxDelayMs", maxDelayMs, initialDelayMs);
  check("waitMs", waitMs, 0);
  return { initialDelayMs, maxDelayMs, waitMs };
}

interface RetryState {
  /** When the next try may start, `performance.now()` ms. */
  dueAt: number;
  /** The pause to use after the next failure, ms. */
  delayMs: number;
  /** The try in flight, if any. */
  inFlight: Promise<void> | undefined;
}

/**
 * The retry schedule of one live session's missing backends: at most one try in flight per
 * backend, and none before its backoff has passed. Holds no timer: tries start only when
 * {@link MissingBackends.retry} is called (on a request).
 */
export class MissingBackends {
  readonly #policy: BackendRetryPolicy;
  readonly #states = new Map<string, RetryState>();

  constructor(policy: BackendRetryPolicy) {
    this.#policy = policy;
  }

  /** Records that `workloadId` just failed to reattach: its first retry waits `initialDelayMs`. */
  failedNow(workloadId: string): void {
    if (this.#states.has(workloadId)) return;
    this.#states.set(workloadId, {
      dueAt: performance.now() + this.#policy.initialDelayMs,
      delayMs: this.#policy.initialDelayMs,
      inFlight: undefined,
    });
  }

  /**
   * Starts a try of every backend of `missing` whose backoff has passed and that has none in
   * flight (`attempt` resolves when it reattached, rejects when it failed), forgets the backends
   * no longer missing, and resolves once the tries in flight settled or `waitMs` passed, whichever
   * is first. Never rejects.
   */
  async retry(
    missing: readonly string[],
    attempt: (workloadId: string) => Promise<void>,
  ): Promise<void> {
    const wanted = new Set(missing);
    for (const [workloadId, state] of this.#states) {
      if (!wanted.has(workloadId) && state.inFlight === undefined) this.#states.delete(workloadId);
    }
    const now = performance.now();
    const pending: Promise<void>[] = [];
    for (const workloadId of wanted) {
      let state = this.#states.get(workloadId);
      if (state === undefined) {
        // Missing without a recorded failure (e.g. the stored list changed): try now.
        state = { dueAt: now, delayMs: this.#policy.initialDelayMs, inFlight: undefined };
        this.#states.set(workloadId, state);
      }
      if (state.inFlight === undefined && state.dueAt <= now) {
        state.inFlight = this.#try(workloadId, state, attempt);
      }
      if (state.inFlight !== undefined) pending.push(state.inFlight);
    }
    if (pending.length === 0 || this.#policy.waitMs === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(pending),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.#policy.waitMs);
      }),
    ]);
    clearTimeout(timer);
  }

  /** The backends with a try scheduled or in flight (for tests and diagnostics). */
  get pending(): readonly string[] {
    return [...this.#states.keys()];
  }

  async #try(
    workloadId: string,
    state: RetryState,
    attempt: (workloadId: string) => Promise<void>,
  ): Promise<void> {
    try {
      await attempt(workloadId);
      this.#states.delete(workloadId);
    } catch {
      // Jitter (0.8x to 1.2x) keeps the sessions of one replica from retrying in step.
      const pause = Math.round(state.delayMs * (0.8 + Math.random() * 0.4));
      state.dueAt = performance.now() + pause;
      state.delayMs = Math.min(state.delayMs * 2, this.#policy.maxDelayMs);
    } finally {
      state.inFlight = undefined;
    }
  }
}
