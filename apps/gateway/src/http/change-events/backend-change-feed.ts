/** A list a backend's change notification names. */
export type ChangedList = "tools" | "prompts" | "resources";

/** Told of each change of one backend's list (see {@link BackendChangeFeed.watch}). */
export type ChangeWatcher = (list: ChangedList) => void;

/** Options of {@link BackendChangeFeed}. */
export interface BackendChangeFeedOptions {
  /**
   * Told `true` when the first watcher arrives and `false` when the last leaves: whoever sees
   * the backends' changes (the replica's listen fan-in) need only listen while someone watches.
   */
  readonly onInterest?: (watched: boolean) => void;
  /** Told of a watcher that threw (the others still hear the change). */
  readonly onError?: (error: unknown, workloadId: string) => void;
}

/**
 * One replica's feed of the list changes of the backends it sees change on their own (2026-07-28
 * backends, through the replica's one `subscriptions/listen` per backend), to whoever on this
 * replica holds something of those backends (a 2025-era client session's stateless connection to
 * one). Neutral ground: the 2026-07-28 room feeds it, the 2025-era side watches it, and neither
 * imports the other (the gateway composes them).
 *
 * Synchronous and in-process: a change reaches the watchers registered when it is emitted, in the
 * order they registered, each once.
 */
export class BackendChangeFeed {
  readonly #o: BackendChangeFeedOptions;
  readonly #watchers = new Map<string, Set<ChangeWatcher>>();
  #count = 0;

  constructor(options: BackendChangeFeedOptions = {}) {
    this.#o = options;
  }

  /** Watchers registered now (every backend's). */
  get watching(): number {
    return this.#count;
  }

  /** Whether anyone watches `workloadId`. */
  watches(workloadId: string): boolean {
    return (this.#watchers.get(workloadId)?.size ?? 0) > 0;
  }

  /**
   * Registers `watcher` for the changes of `workloadId`; returns an idempotent unwatch. The same
   * function registered twice is two watchers.
   */
  watch(workloadId: string, watcher: ChangeWatcher): () => void {
    const entry: ChangeWatcher = (list) => watcher(list);
    let set = this.#watchers.get(workloadId);
    if (set === undefined) {
      set = new Set();
      this.#watchers.set(workloadId, set);
    }
    set.add(entry);
    if (++this.#count === 1) this.#o.onInterest?.(true);
    return () => {
      const current = this.#watchers.get(workloadId);
      if (current?.delete(entry) !== true) return;
      if (current.size === 0) this.#watchers.delete(workloadId);
      if (--this.#count === 0) this.#o.onInterest?.(false);
    };
  }

  /** Tells every watcher of `workloadId` that its `list` changed. Never throws. */
  emit(workloadId: string, list: ChangedList): void {
    const set = this.#watchers.get(workloadId);
    if (set === undefined) return;
    for (const watcher of [...set]) {
      if (!set.has(watcher)) continue;
      try {
        watcher(list);
      } catch (error) {
        this.#o.onError?.(error, workloadId);
      }
    }
  }
}

/**
 * An `onInterest` for {@link BackendChangeFeed} that keeps something open while the feed is
 * watched: `hold()` when the first watcher arrives, its release when the last leaves (also when
 * the hold resolves only after that). A hold that fails is passed to `onError` and not retried:
 * the next first watcher holds again.
 */
export function holdWhileWatched(
  hold: () => Promise<() => void>,
  onError: (error: unknown) => void,
): (watched: boolean) => void {
  let current: Promise<(() => void) | undefined> | undefined;
  return (watched) => {
    if (watched) {
      current ??= hold().catch((error: unknown) => {
        onError(error);
        return undefined;
      });
      return;
    }
    const held = current;
    current = undefined;
    void held?.then((release) => release?.());
  };
}
