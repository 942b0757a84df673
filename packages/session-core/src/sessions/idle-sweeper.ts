/**
 * Closing live sessions nobody uses: a session idle longer than `idleTimeoutMs` gives up its
 * backend connections (and so stops its stdio processes); its record stays in the store, and the
 * next request restores it like on any other replica.
 */

/** Default idle time after which a live session closes its backend connections: 300,000 ms (5 min). */
export const DefaultIdleTimeoutMs = 5 * 60_000;

/** Longest pause between two idle sweeps, ms. */
const MaxSweepIntervalMs = 30_000;

/** How busy one live session is. */
export interface SessionActivity {
  /** When it last started or finished a request, `performance.now()` ms. */
  lastUsed: number;
  /** Requests on it in flight now; a session with any is never idle. */
  active: number;
  /**
   * Called once when `active` drops to 0 (then cleared): set by the manager when the session left
   * its cache while requests were in flight, so its connections close after the last one ends.
   */
  onQuiet?: (() => void) | undefined;
}

/** A fresh activity record: used now, nothing in flight. */
export function newActivity(): SessionActivity {
  return { lastUsed: performance.now(), active: 0 };
}

/** Marks the start of a request on `activity`; the returned function marks its end. */
export function beginActivity(activity: SessionActivity): () => void {
  activity.active++;
  activity.lastUsed = performance.now();
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    activity.active--;
    activity.lastUsed = performance.now();
    if (activity.active === 0 && activity.onQuiet !== undefined) {
      const quiet = activity.onQuiet;
      activity.onQuiet = undefined;
      quiet();
    }
  };
}

/**
 * Calls `sweep(isIdle)` every `idleTimeoutMs / 2` (at most every 30 s, at least every 5 ms) on
 * an unref'd timer, so a session is closed between `idleTimeoutMs` and 1.5 times that after its
 * last request. `idleTimeoutMs` 0 disables it.
 */
export class IdleSweeper {
  readonly #timer: ReturnType<typeof setInterval> | undefined;

  constructor(idleTimeoutMs: number, sweep: (isIdle: (a: SessionActivity) => boolean) => void) {
    if (idleTimeoutMs === 0) return;
    const isIdle = (a: SessionActivity) =>
      a.active === 0 && performance.now() - a.lastUsed >= idleTimeoutMs;
    const every = Math.max(5, Math.min(Math.floor(idleTimeoutMs / 2), MaxSweepIntervalMs));
    this.#timer = setInterval(() => sweep(isIdle), every);
    this.#timer.unref();
  }

  /** Stops sweeping. Idempotent. */
  stop(): void {
    clearInterval(this.#timer);
  }
}
