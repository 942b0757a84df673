import type { Writable } from "node:stream";

/**
 * How many commands share one socket write at most. Small batches keep the client and the
 * server busy at the same time; one write per turn of 64 callers made them take turns (the
 * server ran a whole batch of scripts while the client waited, then the other way round), which
 * measured slower than no coalescing at all for `update`.
 */
export const MaxCoalescedCommands = 8;

/**
 * Coalesces the socket writes of one event-loop turn, a few commands per write.
 *
 * ioredis writes each command to its socket as it is sent: 64 callers cost 64 `write` system
 * calls per turn here and 64 reads in redis-server. In a profile of 64 callers calling `load`,
 * the socket write was about a third of the process's CPU time. Corking the socket at the first
 * command of a turn, and uncorking it every {@link MaxCoalescedCommands} commands and at the end
 * of the turn (`nextTick`, after the turn's promise reactions have sent their commands), hands
 * the kernel those commands in one `writev`, in the order they were sent. Each command is still
 * its own request with its own reply; it only leaves the process a little later in the same
 * turn.
 */
export class WriteCoalescer {
  /** The streams corked in this turn, and how many commands each holds. */
  readonly #corked = new Map<Writable, number>();
  readonly #uncorkAll = (): void => {
    for (const stream of this.#corked.keys()) stream.uncork();
    this.#corked.clear();
  };

  /**
   * Call right before a command is written to `stream`: corks it until the end of this turn,
   * or sends what it holds once {@link MaxCoalescedCommands} commands wait.
   */
  hold(stream: Writable | undefined | null): void {
    if (stream === undefined || stream === null) return;
    const held = this.#corked.get(stream);
    if (held === undefined) {
      if (this.#corked.size === 0) process.nextTick(this.#uncorkAll);
      this.#corked.set(stream, 1);
      stream.cork();
    } else if (held >= MaxCoalescedCommands) {
      stream.uncork();
      stream.cork();
      this.#corked.set(stream, 1);
    } else {
      this.#corked.set(stream, held + 1);
    }
  }
}
