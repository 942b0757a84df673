import { SessionVersionConflictError, StorageClosedError } from "./errors.js";
import { assertValidSessionId } from "./session-id.js";
import type { NewSession, SessionMetadata, SessionPatch, SessionRecord } from "./session-record.js";
import type { ListOptions, LoadOptions, SessionStorage, UpdateOptions } from "./session-storage.js";
import { checkDeadline, checkNewSession, checkPatch, checkVersion } from "./storage-input.js";

/**
 * The table a {@link MapStorage} keeps its records in, by session ID: a `Map` (unbounded), or
 * anything with these five methods, e.g. an lru-cache `LRUCache` (bounded; its `get` refreshes
 * an entry's recency).
 */
export interface RecordTable {
  get(id: string): SessionRecord | undefined;
  set(id: string, record: SessionRecord): unknown;
  delete(id: string): unknown;
  keys(): Iterable<string>;
  clear(): void;
}

/** Options for {@link MapStorage}. */
export interface MapStorageOptions {
  /**
   * Where the records live. The storage owns it from now on: it never hands out a stored record
   * (only copies) and clears it at `close()`.
   * @default a new `Map`, unbounded
   */
  readonly records?: RecordTable;
  /**
   * The clock, epoch ms; read only when a deadline is involved.
   * @default Date.now
   */
  readonly now?: () => number;
}

/**
 * The semantics of a `SessionStorage` held in this process, over a {@link RecordTable}: the one
 * implementation behind `@vmcp/store-memory`'s `MemoryStorage` (an LRU table) and
 * `@vmcp/session-core/testing`'s `ReferenceStorage` (a `Map`). It checks every input as every
 * store does, honours absolute deadlines (epoch ms; a passed one means gone, checked on every
 * access, so no timer runs and `close()` has nothing to stop), never resurrects on update, hands
 * out copies, and refuses every call after `close()` with `StorageClosedError`.
 *
 * Subclasses may override the protected steps (to count, delay or stage calls, or to break one
 * rule on purpose in a test): no public method calls another public method.
 */
export class MapStorage implements SessionStorage {
  /** The stored records by session ID, expired ones not yet looked at included. */
  protected readonly records: RecordTable;
  /** The clock, epoch ms. */
  protected readonly now: () => number;
  #closed = false;

  constructor(options: MapStorageOptions = {}) {
    this.records = options.records ?? new Map<string, SessionRecord>();
    this.now = options.now ?? Date.now;
  }

  async create(session: NewSession): Promise<boolean> {
    this.checkOpen();
    const metadata = checkNewSession(session);
    const now = this.now();
    if (session.expiresAt !== undefined && session.expiresAt <= now) return false;
    if (this.live(session.id) !== undefined) return false;
    this.records.set(session.id, record(session.id, now, now, 1, metadata, session.expiresAt));
    return true;
  }

  async update(id: string, patch: SessionPatch, options?: UpdateOptions): Promise<boolean> {
    this.checkOpen();
    this.checkId(id);
    const change = checkPatch(patch);
    const ifVersion = options?.ifVersion;
    if (ifVersion !== undefined) checkVersion(ifVersion);
    const stored = this.live(id);
    if (stored === undefined) return false;
    if (ifVersion !== undefined && ifVersion !== stored.version) {
      throw new SessionVersionConflictError(id, ifVersion);
    }
    const now = this.now();
    const expiresAt =
      change.expiresAt === undefined ? stored.expiresAt : (change.expiresAt ?? undefined);
    if (expiresAt !== undefined && expiresAt <= now) {
      this.records.delete(id);
      return true;
    }
    const metadata = { ...stored.metadata, ...change.set };
    for (const key of change.remove) delete metadata[key];
    const { createdAt, version } = stored;
    this.records.set(id, record(id, createdAt, now, version + 1, metadata, expiresAt));
    return true;
  }

  async load(id: string, options?: LoadOptions): Promise<SessionRecord | undefined> {
    this.checkOpen();
    this.checkId(id);
    const slideTo = options?.slideExpiresAt;
    if (slideTo !== undefined) checkDeadline(slideTo, "slideExpiresAt");
    const record = this.live(id);
    if (record === undefined) return undefined;
    if (slideTo === undefined) return this.copy(record);
    const moved = this.moveDeadline(id, record, slideTo);
    return moved === undefined ? undefined : this.copy(moved);
  }

  async touch(id: string, expiresAt: number): Promise<boolean> {
    this.checkOpen();
    this.checkId(id);
    checkDeadline(expiresAt, "expiresAt");
    const record = this.live(id);
    if (record === undefined) return false;
    this.moveDeadline(id, record, expiresAt);
    return true;
  }

  async delete(id: string): Promise<boolean> {
    this.checkOpen();
    this.checkId(id);
    const existed = this.live(id) !== undefined;
    this.records.delete(id);
    return existed;
  }

  async *listIds(_options?: ListOptions): AsyncIterable<string> {
    this.checkOpen();
    // Snapshot the IDs first: yielding while iterating the table would see it change under us.
    for (const id of [...this.records.keys()]) {
      this.checkOpen();
      if (this.live(id) !== undefined) yield id;
    }
  }

  async ping(): Promise<void> {
    this.checkOpen();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.records.clear();
  }

  /** The record of `id` if it exists and its deadline has not passed (an expired one is dropped). */
  protected live(id: string): SessionRecord | undefined {
    const record = this.records.get(id);
    // The clock is read only for a record with a deadline: a plain lookup stays a lookup.
    if (record?.expiresAt !== undefined && record.expiresAt <= this.now()) {
      this.records.delete(id);
      return undefined;
    }
    return record;
  }

  /** Sets a new deadline (epoch ms); a passed one deletes the record. The moved record, if it lives. */
  protected moveDeadline(
    id: string,
    record: SessionRecord,
    expiresAt: number,
  ): SessionRecord | undefined {
    if (expiresAt <= this.now()) {
      this.records.delete(id);
      return undefined;
    }
    const { createdAt, updatedAt, version, metadata } = record;
    const moved = { id, createdAt, updatedAt, expiresAt, version, metadata };
    this.records.set(id, moved);
    return moved;
  }

  /** A copy the caller may mutate without changing what is stored. */
  protected copy(stored: SessionRecord): SessionRecord {
    const { id, createdAt, updatedAt, expiresAt, version } = stored;
    return record(id, createdAt, updatedAt, version, { ...stored.metadata }, expiresAt);
  }

  /** Throws `InvalidSessionIdError` for an ID no store accepts. */
  protected checkId(id: string): void {
    assertValidSessionId(id);
  }

  /** Throws `StorageClosedError` after {@link close}. */
  protected checkOpen(): void {
    if (this.#closed) throw new StorageClosedError();
  }
}

/**
 * A record built field by field in one order, so every record has one of two shapes (with or
 * without a deadline) and property reads stay fast; spreading records made them slow to read.
 */
function record(
  id: string,
  createdAt: number,
  updatedAt: number,
  version: number,
  metadata: SessionMetadata,
  expiresAt: number | undefined,
): SessionRecord {
  return expiresAt === undefined
    ? { id, createdAt, updatedAt, version, metadata }
    : { id, createdAt, updatedAt, expiresAt, version, metadata };
}
