/**
 * A session's metadata: string keys (see `@vmcp/session-keys` for the `vmcp.*` schema) to string
 * values. Empty strings are valid values.
 */
export type SessionMetadata = Record<string, string>;

/** A stored session, as every `SessionStorage` returns it. Always a fresh copy owned by the caller. */
export interface SessionRecord {
  /** The session ID (1 to 256 visible ASCII characters). */
  readonly id: string;
  /** When the session was created, epoch milliseconds (the storing process's clock). */
  readonly createdAt: number;
  /** When the session was last created or updated, epoch milliseconds. */
  readonly updatedAt: number;
  /**
   * The absolute deadline after which the session is gone, epoch milliseconds; absent for a
   * session that does not expire by time.
   */
  readonly expiresAt?: number;
  /**
   * Counts writes: 1 after create, incremented by each update. Pass it as `ifVersion` to make an
   * update conditional (compare-and-set).
   */
  readonly version: number;
  /** The session's metadata. */
  readonly metadata: SessionMetadata;
}

/** What `SessionStorage.create` stores. */
export interface NewSession {
  /** The session ID (see `generateSessionId`). */
  readonly id: string;
  /** The initial metadata; defaults to none. */
  readonly metadata?: Readonly<SessionMetadata>;
  /** Absolute deadline, epoch milliseconds; absent means no time-based expiry. */
  readonly expiresAt?: number;
}

/**
 * A change to an existing session, applied atomically: every `set` and `remove` lands or none.
 * Keys the patch does not name are left exactly as they are, so writers that touch different
 * keys never overwrite each other.
 */
export interface SessionPatch {
  /** Keys to write, with their new values. */
  readonly set?: Readonly<SessionMetadata>;
  /** Keys to remove; removing an absent key is not an error. A key may not be in both `set` and `remove`. */
  readonly remove?: readonly string[];
  /**
   * A new absolute deadline, epoch milliseconds; `null` removes the deadline; absent keeps it.
   * A deadline already in the past deletes the session.
   */
  readonly expiresAt?: number | null;
}
