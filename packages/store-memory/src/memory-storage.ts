import { MapStorage, type SessionRecord } from "@vmcp/session-core/storage";
import { LRUCache } from "lru-cache";

/** The default bound on stored sessions: {@link MemoryStorageOptions.maxSessions}. */
export const DefaultMaxSessions = 10_000;

/** Options for {@link MemoryStorage}. */
export interface MemoryStorageOptions {
  /**
   * The most sessions kept at once. Storing one more evicts the least recently used session.
   * Default {@link DefaultMaxSessions} (10,000).
   */
  readonly maxSessions?: number;
  /** The clock, epoch milliseconds. Default `Date.now`; inject one to test expiry. */
  readonly now?: () => number;
}

/**
 * A `SessionStorage` held in this process, on lru-cache: bounded by a count of sessions, with
 * absolute deadlines checked on every access (no timers, so `close()` has nothing to stop and
 * the process can always exit). Expired sessions are never returned; they leave the cache when
 * next touched or when evicted. For one replica only: replicas do not see each other's sessions.
 *
 * The semantics are session-core's `MapStorage` (the same code as the `ReferenceStorage` tests
 * use); this class only puts an LRU table under it.
 */
export class MemoryStorage extends MapStorage {
  readonly #cache: LRUCache<string, SessionRecord>;

  /** @throws {RangeError} when `maxSessions` is not a positive integer. */
  constructor(options: MemoryStorageOptions = {}) {
    const max = options.maxSessions ?? DefaultMaxSessions;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new RangeError(`maxSessions must be a positive integer, got ${String(max)}`);
    }
    const cache = new LRUCache<string, SessionRecord>({ max });
    super(options.now === undefined ? { records: cache } : { records: cache, now: options.now });
    this.#cache = cache;
  }

  /** How many entries the cache holds now, expired ones not yet purged included. */
  get size(): number {
    return this.#cache.size;
  }
}
