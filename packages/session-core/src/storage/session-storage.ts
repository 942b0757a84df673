import type { NewSession, SessionPatch, SessionRecord } from "./session-record.js";

/** Options for {@link SessionStorage.load}. */
export interface LoadOptions {
  /**
   * Sliding expiry: when given and the session exists, its deadline moves to this absolute
   * instant (epoch milliseconds) in the same operation, and the returned record shows it.
   * Default: the deadline is left as it is.
   */
  readonly slideExpiresAt?: number;
}

/** Options for {@link SessionStorage.update}. */
export interface UpdateOptions {
  /**
   * Compare-and-set: apply the patch only if the stored `version` equals this; otherwise the
   * update throws `SessionVersionConflictError` and changes nothing. Default: unconditional.
   */
  readonly ifVersion?: number;
}

/** Options for {@link SessionStorage.listIds}. */
export interface ListOptions {
  /** How many IDs the store fetches per round trip; a hint, default chosen by the store. */
  readonly batchSize?: number;
}

/**
 * Where session records live. Every implementation keeps the same semantics, which the
 * `@vmcp/storage-test-suite` conformance suite pins:
 *
 * - Every method validates the session ID first and throws `InvalidSessionIdError` for a bad one.
 * - Time is absolute epoch milliseconds. A deadline in the past means the session is gone.
 * - Records returned are copies: mutating one never changes what is stored.
 * - Not found is `undefined` or `false`, never an error.
 * - A value that cannot be decoded throws `SessionDecodeError` naming the session.
 * - An unreachable store throws `StorageUnavailableError` within a bounded time.
 * - After `close()`, every call throws `StorageClosedError`.
 */
export interface SessionStorage {
  /**
   * Create-if-absent. Resolves `true` when this call stored the session, `false` when a live
   * session already holds the ID (nothing is changed) or the deadline is already past (nothing
   * is stored).
   */
  create(session: NewSession): Promise<boolean>;

  /**
   * Update-if-present, atomically. Resolves `true` when the patch was applied, `false` when the
   * session does not exist (never resurrects a deleted or expired session).
   * @throws {SessionVersionConflictError} when `options.ifVersion` does not match.
   */
  update(id: string, patch: SessionPatch, options?: UpdateOptions): Promise<boolean>;

  /** Loads a session, or `undefined` when it does not exist or has expired. */
  load(id: string, options?: LoadOptions): Promise<SessionRecord | undefined>;

  /**
   * Moves a live session's deadline to `expiresAt` (epoch milliseconds) without changing its
   * metadata or version. A past deadline deletes it. Resolves whether the session existed.
   */
  touch(id: string, expiresAt: number): Promise<boolean>;

  /** Deletes a session. Resolves whether it existed. */
  delete(id: string): Promise<boolean>;

  /**
   * The IDs of stored sessions, fetched in batches. Sessions created or deleted during the walk
   * may or may not appear; a store may yield an ID more than once while its key space is resized.
   */
  listIds(options?: ListOptions): AsyncIterable<string>;

  /** Resolves when the store is reachable; throws `StorageUnavailableError` within a bounded time otherwise. */
  ping(): Promise<void>;

  /**
   * Releases every timer, socket and listener the storage owns, so the process can exit.
   * Idempotent. A client handed in by the caller is left open.
   */
  close(): Promise<void>;
}
