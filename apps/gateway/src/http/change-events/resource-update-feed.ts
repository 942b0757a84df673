/** What {@link ResourceUpdateFeed.follow} gives: a release, or `limit` (nothing is followed). */
export type FollowedResource =
  | { readonly kind: "followed"; readonly release: () => void }
  | { readonly kind: "limit" };

/** What a feed's `open` gives for some URIs: a release, or `limit` (nothing is opened). */
export type OpenedUris =
  | { readonly kind: "opened"; readonly release: () => void }
  | { readonly kind: "limit" };

/** Options of {@link ResourceUpdateFeed}. */
export interface ResourceUpdateFeedOptions {
  /**
   * Makes the replica's backend listens follow `uris` until the release (refcounted: the listen
   * fan-in's `follow`), resolving once they do; `limit` when the replica follows its bound of
   * distinct URIs already. Default: nothing follows anything (every follow is `limit`).
   */
  readonly open?: (uris: readonly string[]) => Promise<OpenedUris>;
  /** Told of a watcher that threw (the others still hear the update). */
  readonly onError?: (error: unknown, workloadId: string, uri: string) => void;
}

/**
 * One replica's feed of the `resources/updated` notifications of the backends it sees update on
 * their own (2026-07-28 backends, through the replica's one `subscriptions/listen` per backend),
 * to the 2025-era sessions on this replica that subscribed a URI of such a backend. Neutral ground
 * like `BackendChangeFeed`: the 2026-07-28 room feeds it ({@link emit}), the 2025-era side follows
 * URIs through it ({@link follow}), and neither imports the other.
 *
 * Synchronous and in-process: an update reaches the watchers of its backend and URI registered
 * when it is emitted, each once.
 */
export class ResourceUpdateFeed {
  readonly #o: ResourceUpdateFeedOptions;
  /** `workloadId` + NUL + URI to its watchers. */
  readonly #watchers = new Map<string, Set<() => void>>();
  #count = 0;

  constructor(options: ResourceUpdateFeedOptions = {}) {
    this.#o = options;
  }

  /** Follows registered now (every backend's, every URI's). */
  get following(): number {
    return this.#count;
  }

  /**
   * Calls `watcher` on each update of `uri` at backend `workloadId` from the moment the replica's
   * listens follow the URI until the (idempotent) release, which also lets the listens drop it.
   * `limit` when the replica cannot follow one more URI (nothing is registered then).
   */
  async follow(workloadId: string, uri: string, watcher: () => void): Promise<FollowedResource> {
    const opened = (await this.#o.open?.([uri])) ?? { kind: "limit" };
    if (opened.kind === "limit") return opened;
    const key = keyOf(workloadId, uri);
    const entry = () => watcher();
    let set = this.#watchers.get(key);
    if (set === undefined) {
      set = new Set();
      this.#watchers.set(key, set);
    }
    set.add(entry);
    this.#count++;
    let released = false;
    return {
      kind: "followed",
      release: () => {
        if (released) return;
        released = true;
        const current = this.#watchers.get(key);
        if (current?.delete(entry) === true) {
          this.#count--;
          if (current.size === 0) this.#watchers.delete(key);
        }
        opened.release();
      },
    };
  }

  /** Tells every watcher of `uri` at `workloadId` that it was updated. Never throws. */
  emit(workloadId: string, uri: string): void {
    const set = this.#watchers.get(keyOf(workloadId, uri));
    if (set === undefined) return;
    for (const watcher of [...set]) {
      if (!set.has(watcher)) continue;
      try {
        watcher();
      } catch (error) {
        this.#o.onError?.(error, workloadId, uri);
      }
    }
  }
}

function keyOf(workloadId: string, uri: string): string {
  return `${workloadId}\u0000${uri}`;
}
