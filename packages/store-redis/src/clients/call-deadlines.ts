/**
 * One timer for all the calls started in the same event-loop turn.
 *
 * The storage bounds every call it cannot leave to the client's own command timeout (a client
 * handed in, node-redis, auto-pipelining, a connection still being made). A `setTimeout` per call
 * cost a measurable share of a load's CPU time with 64 callers; the calls made in one turn share
 * their deadline to within that turn, so they share one timer. The timer is cleared once every
 * call of its turn has settled.
 */
export class CallDeadlines {
  readonly #timeoutMs: number;
  #current: Turn | undefined;
  readonly #endTurn = (): void => {
    this.#current = undefined;
  };

  /** @param timeoutMs the bound on each call, ms. */
  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Calls `onTimeout` once the bound has passed since this turn began, unless the returned
   * function is called first (when the call settles).
   */
  watch(onTimeout: () => void): () => void {
    let turn = this.#current;
    if (turn === undefined) {
      turn = new Turn(this.#timeoutMs);
      this.#current = turn;
      process.nextTick(this.#endTurn);
    }
    return turn.add(onTimeout);
  }
}

/** The calls of one turn and their shared timer. */
class Turn {
  readonly #callbacks: Array<(() => void) | undefined> = [];
  #pending = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(timeoutMs: number) {
    this.#timer = setTimeout(() => {
      const callbacks = this.#callbacks.splice(0);
      this.#pending = 0;
      for (const callback of callbacks) callback?.();
    }, timeoutMs);
  }

  add(onTimeout: () => void): () => void {
    const index = this.#callbacks.push(onTimeout) - 1;
    this.#pending++;
    return () => {
      if (this.#callbacks[index] === undefined) return;
      this.#callbacks[index] = undefined;
      this.#pending--;
      if (this.#pending === 0) clearTimeout(this.#timer);
    };
  }
}
