import { decodeBackendIds } from "./backend-ids.js";
import { parseBackendSessionKey } from "./backend-keys.js";
import { MetadataKeyBackendIds } from "./keys.js";

/** The backend part of a session's metadata, decoded. */
export interface BackendMetadata {
  /** Workload IDs from `vmcp.backend.ids`, in stored (sorted) order; empty when the key is absent. */
  readonly backendIds: readonly string[];
  /**
   * Backend session IDs by workload ID, from every `vmcp.backend.session.*` key. An empty string
   * means the backend runs without sessions. May name backends that are not in `backendIds`
   * when a writer left an entry behind; callers decide whether to trust the list or the keys.
   */
  readonly backendSessions: ReadonlyMap<string, string>;
}

/**
 * The workload IDs of `vmcp.backend.ids`, in stored (sorted) order; empty when the key is absent.
 * @throws {InvalidBackendListError} when the list holds an invalid entry.
 */
export function readBackendIds(metadata: Readonly<Record<string, string>>): string[] {
  const list = metadata[MetadataKeyBackendIds];
  return list === undefined ? [] : decodeBackendIds(list);
}

/**
 * Backend session IDs by workload ID, from every `vmcp.backend.session.*` key, listed or not.
 * Never throws: a key whose suffix is not a valid workload ID is not a backend session key.
 */
export function readBackendSessions(
  metadata: Readonly<Record<string, string>>,
): Map<string, string> {
  const backendSessions = new Map<string, string>();
  for (const [key, value] of Object.entries(metadata)) {
    const workloadId = parseBackendSessionKey(key);
    if (workloadId !== undefined) backendSessions.set(workloadId, value);
  }
  return backendSessions;
}

/**
 * Reads the backend list and the per-backend session IDs out of a metadata map. Keys outside
 * the backend schema are ignored.
 * @throws {InvalidBackendListError} when `vmcp.backend.ids` holds an invalid entry.
 */
export function readBackendMetadata(metadata: Readonly<Record<string, string>>): BackendMetadata {
  return { backendIds: readBackendIds(metadata), backendSessions: readBackendSessions(metadata) };
}
