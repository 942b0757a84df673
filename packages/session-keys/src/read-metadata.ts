import { decodeBackendIds } from "./backend-ids.js";
import { parseBackendSessionKey } from "./backend-keys.js";
import { MetadataKeyBackendIDs } from "./keys.js";

/** The backend part of a session's metadata, decoded. */
export interface BackendMetadata {
  /** Workload IDs from `vmcp.backend.ids`, in stored (sorted) order; empty when the key is absent. */
  readonly backendIds: readonly string[];
  /**
   * Backend session IDs by workload ID, from every `vmcp.backend.session.*` key. An empty string
   * means the backend runs without sessions. May name workloads that are not in `backendIds`
   * when a writer left an entry behind; callers decide whether to trust the list or the keys.
   */
  readonly backendSessions: ReadonlyMap<string, string>;
}

/**
 * Reads the backend list and the per-backend session IDs out of a metadata map. Keys outside
 * the backend schema are ignored.
 * @throws {InvalidBackendListError} when `vmcp.backend.ids` holds an invalid entry.
 */
export function readBackendMetadata(metadata: Readonly<Record<string, string>>): BackendMetadata {
  const list = metadata[MetadataKeyBackendIDs];
  const backendIds = list === undefined ? [] : decodeBackendIds(list);
  const backendSessions = new Map<string, string>();
  for (const [key, value] of Object.entries(metadata)) {
    const workloadId = parseBackendSessionKey(key);
    if (workloadId !== undefined) backendSessions.set(workloadId, value);
  }
  return { backendIds, backendSessions };
}
