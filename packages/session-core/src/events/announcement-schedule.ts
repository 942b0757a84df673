/**
 * Runs an announcement soon after it is asked for, at most once per `minIntervalMs`: asks that
 * come while one is scheduled join it, and an ask within `minIntervalMs` of the last announcement
 * is put off until that interval has passed. Its timer never keeps the process alive.
 */
export class AnnouncementSchedule {
  readonly #minIntervalMs: number;
  readonly #announce: () => void;
  readonly #now: () => number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #lastAt = Number.NEGATIVE_INFINITY;
  #closed = false;

  /**
   * @param minIntervalMs least time between two announcements, ms (0: none).
   * @param announce what to run; it must not throw.
   * @param now the clock, ms. Default `performance.now`.
   */
  constructor(
    minIntervalMs: number,
    announce: () => void,
    now: () => number = () => performance.now(),
  ) {
    this.#minIntervalMs = minIntervalMs;
    this.#announce = announce;
    this.#now = now;
  }

  /** Whether an announcement is scheduled and has not run yet. */
  get pending(): boolean {
    return this.#timer !== undefined;
  }

  /** Asks for an announcement (see the class). Nothing happens after {@link close}. */
  request(): void {
    if (this.#closed || this.#timer !== undefined) return;
    const waitMs = Math.max(0, this.#lastAt + this.#minIntervalMs - this.#now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#lastAt = this.#now();
      this.#announce();
    }, waitMs);
    this.#timer.unref();
  }

  /** Cancels a scheduled announcement and refuses later asks. Idempotent. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
