import {
  backendKeys,
  decodeBackendIds,
  encodeBackendIds,
  MetadataKeyBackendIDs,
  parseBackendKey,
} from "@vmcp/session-keys";
import { SessionDecodeError, SessionVersionConflictError } from "./errors.js";
import type { SessionMetadata, SessionPatch, SessionRecord } from "./session-record.js";
import type { SessionStorage } from "./session-storage.js";

/** The default number of compare-and-set attempts of {@link updateBackends}: 8. */
export const DefaultBackendUpdateAttempts = 8;

/** A change to a stored session's backends. */
export interface BackendChange {
  /** Backends to remove: their keys go, and the list is rewritten without them. */
  readonly drop?: readonly string[];
  /**
   * Per-backend keys to write (for example a new backend session ID). Keys of a backend that is
   * no longer in the stored list are skipped, so a concurrent removal is never undone.
   */
  readonly set?: Readonly<SessionMetadata>;
}

/** The outcome of {@link updateBackends}. */
export interface BackendUpdateResult {
  /** Whether the session still exists. */
  readonly found: boolean;
  /** The stored `vmcp.backend.ids` value after the update; `undefined` when absent. */
  readonly backendIds: string | undefined;
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
    if (record === undefined) return { found: false, backendIds: undefined };
    let computed: ReturnType<typeof backendPatch>;
    try {
      computed = backendPatch(record.metadata, change);
    } catch (error) {
      throw new SessionDecodeError(id, "its backend list is invalid", { cause: error });
    }
    const { patch, backendIds } = computed;
    if (patch === undefined) return { found: true, backendIds };
    try {
      const found = await storage.update(id, patch, { ifVersion: record.version });
      return { found, backendIds: found ? backendIds : undefined };
    } catch (error) {
      if (!(error instanceof SessionVersionConflictError)) throw error;
      conflict = error;
      record = undefined;
    }
  }
  throw conflict ?? new SessionVersionConflictError(id, 0);
}

/** The patch that applies `change` to `metadata`, or `undefined` when nothing would change. */
function backendPatch(
  metadata: Readonly<SessionMetadata>,
  change: BackendChange,
): { patch: SessionPatch | undefined; backendIds: string | undefined } {
  const current = metadata[MetadataKeyBackendIDs];
  const listed = current === undefined ? [] : decodeBackendIds(current);
  const drop = new Set(change.drop ?? []);
  const remaining = listed.filter((id) => !drop.has(id));
  const set: SessionMetadata = {};
  const remove: string[] = [];
  for (const id of drop) for (const key of backendKeys(id)) if (key in metadata) remove.push(key);
  for (const [key, value] of Object.entries(change.set ?? {})) {
    const owner = parseBackendKey(key);
    if (owner !== undefined && !remaining.includes(owner)) continue;
    if (metadata[key] !== value) set[key] = value;
  }
  let backendIds = current;
  if (remaining.length !== listed.length) {
    if (remaining.length === 0) {
      remove.push(MetadataKeyBackendIDs);
      backendIds = undefined;
    } else {
      backendIds = encodeBackendIds(remaining);
      set[MetadataKeyBackendIDs] = backendIds;
    }
  }
  const hasSet = Object.keys(set).length > 0;
  if (!hasSet && remove.length === 0) return { patch: undefined, backendIds };
  return {
    patch: { ...(hasSet ? { set } : {}), ...(remove.length > 0 ? { remove } : {}) },
    backendIds,
  };
}
