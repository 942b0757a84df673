import {
  applyBackendChangePlan,
  type BackendChange,
  type BackendChangePlan,
  planBackendChange,
} from "@vmcp/session-keys";
import { SessionDecodeError, SessionVersionConflictError } from "../storage/errors.js";
import type { SessionMetadata, SessionRecord } from "../storage/session-record.js";
import type { SessionStorage } from "../storage/session-storage.js";

/** The default number of compare-and-set attempts of {@link updateBackends}: 8. */
export const DefaultBackendUpdateAttempts = 8;

/** A change to a stored session's backends (defined by `@vmcp/session-keys`, which computes its writes). */
export type { BackendChange };

/** The outcome of {@link updateBackends}. */
export interface BackendUpdateResult {
  /** Whether the session still exists. */
  readonly found: boolean;
  /** The stored `vmcp.backend.ids` value after the update; `undefined` when absent. */
  readonly backendIds: string | undefined;
  /**
   * The session's stored metadata right after the update: the record the update was conditional
   * on, with the patch applied (the record as read when nothing needed writing). `undefined` when
   * the session was not found.
   */
  readonly metadata: Readonly<SessionMetadata> | undefined;
}

/**
 * Applies `change` to a stored session in ONE atomic update: the backend list is rewritten and
 * the dropped backends' keys removed together, conditional on the version just read (`ifVersion`).
 * A concurrent write to any key makes the update fail with `SessionVersionConflictError`; it is
 * then re-read and re-computed, up to `attempts` times, so no concurrent write is clobbered.
 * Never creates a session. `initial` saves the first read when the caller already holds a record.
 * @throws {SessionVersionConflictError} when every attempt lost the race.
 * @throws {SessionDecodeError} when the stored backend list is corrupt.
 */
export async function updateBackends(
  storage: SessionStorage,
  id: string,
  change: BackendChange,
  options: { readonly initial?: SessionRecord; readonly attempts?: number } = {},
): Promise<BackendUpdateResult> {
  const attempts = options.attempts ?? DefaultBackendUpdateAttempts;
  let record = options.initial;
  let conflict: SessionVersionConflictError | undefined;
  for (let attempt = 0; attempt < attempts; attempt++) {
    record ??= await storage.load(id);
    if (record === undefined) return NotFound;
    let plan: BackendChangePlan;
    try {
      plan = planBackendChange(record.metadata, change);
    } catch (error) {
      throw new SessionDecodeError(id, "its backend list is invalid", { cause: error });
    }
    const { set, remove, backendIds } = plan;
    if (!plan.changed) return { found: true, backendIds, metadata: record.metadata };
    const patch = {
      ...(Object.keys(set).length > 0 ? { set } : {}),
      ...(remove.length > 0 ? { remove } : {}),
    };
    try {
      const found = await storage.update(id, patch, { ifVersion: record.version });
      if (!found) return NotFound;
      return { found, backendIds, metadata: applyBackendChangePlan(record.metadata, plan) };
    } catch (error) {
      if (!(error instanceof SessionVersionConflictError)) throw error;
      conflict = error;
      record = undefined;
    }
  }
  throw conflict ?? new SessionVersionConflictError(id, 0);
}

/** The outcome of an update that found no session. */
const NotFound: BackendUpdateResult = Object.freeze({
  found: false,
  backendIds: undefined,
  metadata: undefined,
});
