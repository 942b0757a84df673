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
}

/**
 * A new entry for `session`, built from the stored list `basis`, with `identity` (the binding keys
 * and any extra metadata `create` stored) on top of its metadata.
 */
export function liveEntry(
  session: MultiSession,
  basis: string | undefined,
  host: ManagedSessionHost,
  identity: SessionMetadata,
): Entry {
  const activity = newActivity();
  return {
    session,
    managed: new ManagedMultiSession(session, host, { activity, identity }),
    basis,
    detached: false,
    activity,
  };
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
