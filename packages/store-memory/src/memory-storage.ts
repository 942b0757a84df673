import {
  assertValidSessionId,
  checkDeadline,
  checkNewSession,
  checkPatch,
  checkVersion,
  type ListOptions,
  type LoadOptions,
  type NewSession,
  type SessionMetadata,
  type SessionPatch,
  type SessionRecord,
  type SessionStorage,
  SessionVersionConflictError,
  StorageClosedError,
  type UpdateOptions,
} from "@vmcp/session-core/storage";
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

/** One stored session. Never mutated once stored: an update stores a new entry. */
interface Entry {
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly expiresAt: number | undefined;
  readonly version: number;
  readonly metadata: Readonly<SessionMetadata>;
}

/**
 * A `SessionStorage` held in this process, on lru-cache: bounded by a count of sessions, with
 * absolute deadlines checked on every access (no timers, so `close()` has nothing to stop and
 * the process can always exit). Expired sessions are never returned; they leave the cache when
 * next touched or when evicted. For one replica only: replicas do not see each other's sessions.
 */
export class MemoryStorage implements SessionStorage {
  readonly #cache: LRUCache<string, Entry>;
  readonly #now: () => number;
  #closed = false;

  /** @throws {RangeError} when `maxSessions` is not a positive integer. */
  constructor(options: MemoryStorageOptions = {}) {
    const max = options.maxSessions ?? DefaultMaxSessions;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new RangeError(`maxSessions must be a positive integer, got ${String(max)}`);
    }
    this.#cache = new LRUCache<string, Entry>({ max });
    this.#now = options.now ?? Date.now;
  }

  async create(session: NewSession): Promise<boolean> {
    this.#checkOpen();
    const metadata = checkNewSession(session);
    const now = this.#now();
    if (session.expiresAt !== undefined && session.expiresAt <= now) return false;
    if (this.#live(session.id, now) !== undefined) return false;
    this.#cache.set(session.id, {
      createdAt: now,
      updatedAt: now,
      expiresAt: session.expiresAt,
      version: 1,
      metadata,
    });
    return true;
  }

  async update(id: string, patch: SessionPatch, options: UpdateOptions = {}): Promise<boolean> {
    this.#checkOpen();
    assertValidSessionId(id);
    const change = checkPatch(patch);
    if (options.ifVersion !== undefined) checkVersion(options.ifVersion);
    const now = this.#now();
    const entry = this.#live(id, now);
    if (entry === undefined) return false;
    if (options.ifVersion !== undefined && options.ifVersion !== entry.version) {
      throw new SessionVersionConflictError(id, options.ifVersion);
    }
    const expiresAt =
      patch.expiresAt === undefined ? entry.expiresAt : (patch.expiresAt ?? undefined);
    if (expiresAt !== undefined && expiresAt <= now) {
      this.#cache.delete(id);
      return true;
    }
    const metadata: SessionMetadata = { ...entry.metadata, ...change.set };
    for (const key of change.remove) delete metadata[key];
    this.#cache.set(id, {
      createdAt: entry.createdAt,
      updatedAt: now,
      expiresAt,
      version: entry.version + 1,
      metadata,
    });
    return true;
  }

  async load(id: string, options?: LoadOptions): Promise<SessionRecord | undefined> {
    this.#checkOpen();
    assertValidSessionId(id);
    const slideTo = options?.slideExpiresAt;
    if (slideTo !== undefined) checkDeadline(slideTo, "slideExpiresAt");
    let entry = this.#cache.get(id);
    if (entry === undefined) return undefined;
    // The clock is read only when a deadline is involved: the hot path of a session without
    // one, or of a plain load, stays a lookup and a copy.
    if (entry.expiresAt !== undefined || slideTo !== undefined) {
      const now = this.#now();
      if (entry.expiresAt !== undefined && entry.expiresAt <= now) {
        this.#cache.delete(id);
        return undefined;
      }
      if (slideTo !== undefined) {
        entry = this.#setDeadline(id, entry, slideTo, now);
        if (entry === undefined) return undefined;
      }
    }
    return toRecord(id, entry);
  }

  async touch(id: string, expiresAt: number): Promise<boolean> {
    this.#checkOpen();
    assertValidSessionId(id);
    checkDeadline(expiresAt, "expiresAt");
    const now = this.#now();
    const entry = this.#live(id, now);
    if (entry === undefined) return false;
    this.#setDeadline(id, entry, expiresAt, now);
    return true;
  }

  async delete(id: string): Promise<boolean> {
    this.#checkOpen();
    assertValidSessionId(id);
    const existed = this.#live(id, this.#now()) !== undefined;
    this.#cache.delete(id);
    return existed;
  }

  async *listIds(_options: ListOptions = {}): AsyncIterable<string> {
    this.#checkOpen();
    // Snapshot the keys first: yielding while iterating the cache would see it change under us.
    const ids = [...this.#cache.keys()];
    for (const id of ids) {
      this.#checkOpen();
      if (this.#live(id, this.#now()) !== undefined) yield id;
    }
  }

  async ping(): Promise<void> {
    this.#checkOpen();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#cache.clear();
  }

  /** How many entries the cache holds now, expired ones not yet purged included. */
  get size(): number {
    return this.#cache.size;
  }

  /** The live entry for `id` (refreshing its recency), purging it if its deadline has passed. */
  #live(id: string, now: number): Entry | undefined {
    const entry = this.#cache.get(id);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= now) {
      this.#cache.delete(id);
      return undefined;
    }
    return entry;
  }

  #setDeadline(id: string, entry: Entry, expiresAt: number, now: number): Entry | undefined {
    if (expiresAt <= now) {
      this.#cache.delete(id);
      return undefined;
    }
    const moved: Entry = { ...entry, expiresAt };
    this.#cache.set(id, moved);
    return moved;
  }

  #checkOpen(): void {
    if (this.#closed) throw new StorageClosedError();
  }
}

function toRecord(id: string, entry: Entry): SessionRecord {
  const metadata = { ...entry.metadata };
  const { createdAt, updatedAt, version, expiresAt } = entry;
  return expiresAt === undefined
    ? { id, createdAt, updatedAt, version, metadata }
    : { id, createdAt, updatedAt, expiresAt, version, metadata };
}
