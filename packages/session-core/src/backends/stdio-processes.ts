/** The stdio backend processes one connector started, so none outlives the gateway. */

/** Default time a stopped stdio process gets between SIGTERM and SIGKILL: 2,000 ms. */
export const DefaultStdioStopGraceMs = 2_000;

/** How long to wait for a process to be gone after SIGKILL before giving up on it, ms. */
const KilledWaitMs = 2_000;

/** Resolves when `promise` settles or after `ms`, whichever is first; never rejects. */
export async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    promise.then(
      () => undefined,
      () => undefined,
    ),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

/** Running stdio processes by PID, each with a promise that resolves once it exited and was reaped. */
export class StdioProcesses {
  readonly #running = new Map<number, Promise<void>>();

  /** Tracks `pid` until `exited` resolves. */
  add(pid: number, exited: Promise<void>): void {
    this.#running.set(pid, exited);
    void exited.then(() => {
      if (this.#running.get(pid) === exited) this.#running.delete(pid);
    });
  }

  /** The PIDs of the processes still running. */
  get pids(): number[] {
    return [...this.#running.keys()];
  }

  /** Sends `signal` to every process still running, synchronously (usable in an `exit` handler). */
  signalAll(signal: NodeJS.Signals): void {
    for (const pid of this.#running.keys()) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
  }

  /**
   * Stops every process still running: SIGTERM, then SIGKILL to those still there after
   * `graceMs`; resolves once all are gone (or, for one that survives SIGKILL, 2 s later).
   */
  async stopAll(graceMs: number): Promise<void> {
    if (this.#running.size === 0) return;
    this.signalAll("SIGTERM");
    await settleWithin(Promise.all(this.#running.values()), graceMs);
    if (this.#running.size === 0) return;
    this.signalAll("SIGKILL");
    await settleWithin(Promise.all(this.#running.values()), KilledWaitMs);
  }
}
