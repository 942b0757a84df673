import { decodeBackendIds } from "@vmcp/session-keys";
import type { MissingBackends } from "../backends/backend-retry.js";
import type { SessionMetadata } from "../storage/session-record.js";
import { newActivity, type SessionActivity } from "./idle-sweeper.js";
import {
  ManagedMultiSession,
  type ManagedSession,
  type ManagedSessionHost,
} from "./managed-session.js";
import type { MultiSession } from "./session-operations.js";

/** One live session in a `SessionManager`'s local LRU, with what the manager tracks about it. */
export interface Entry {
  readonly session: MultiSession;
  readonly managed: ManagedSession;
  /** The stored `vmcp.backend.ids` this live session was built from (or last reconciled with). */
  basis: string | undefined;
  /** Set when the entry leaves the cache for a reason that already deals with its connections. */
  detached: boolean;
  /** The retry schedule of stored backends this live session lacks; `undefined` while none were. */
  missing?: MissingBackends;
  /** When it was last used and how many requests it has in flight, for the idle sweeper. */
  readonly activity: SessionActivity;
  /** Set when the idle sweeper lets it go (counted as an eviction). */
  idle?: boolean;
  /** The session's stored metadata as the manager last read or wrote it (a frozen copy). */
  stored: Readonly<SessionMetadata>;
  /** The manager's store-access count when `stored` was seen: an older sight never replaces it. */
  storedSeen: number;
}

/** The stored metadata of a session as its manager saw it, and when (see {@link Entry.stored}). */
export interface StoredSight {
  readonly metadata: Readonly<SessionMetadata>;
  /** The manager's store-access count when it was seen. */
  readonly seen: number;
}

/**
 * A new entry for `session`, built from the stored list `basis`, with `identity` (the binding keys
 * and any extra metadata `create` stored) on top of its metadata, and `stored` as the record's
 * metadata last seen.
 */
export function liveEntry(
  session: MultiSession,
  basis: string | undefined,
  host: ManagedSessionHost,
  init: { readonly identity: SessionMetadata; readonly stored: StoredSight },
): Entry {
  const activity = newActivity();
  return {
    session,
    managed: new ManagedMultiSession(session, host, { activity, identity: init.identity }),
    basis,
    detached: false,
    activity,
    stored: Object.freeze({ ...init.stored.metadata }),
    storedSeen: init.stored.seen,
  };
}

/** Keeps `sight` as `entry`'s stored metadata unless the entry already holds a later one. */
export function noteStored(entry: Entry, sight: StoredSight): void {
  if (sight.seen <= entry.storedSeen) return;
  entry.stored = Object.freeze({ ...sight.metadata });
  entry.storedSeen = sight.seen;
}

/** The workload IDs the stored list `stored` names that `session` is not connected to. */
export function missingBackends(stored: string | undefined, session: MultiSession): string[] {
  if (stored === undefined) return [];
  const live = new Set(session.backendIds);
  return safeDecode(stored).filter((workloadId) => !live.has(workloadId));
}

/** A stored backend list's workload IDs; none for a list that does not decode. */
export function safeDecode(value: string): string[] {
  try {
    return decodeBackendIds(value);
  } catch {
    return [];
  }
}
