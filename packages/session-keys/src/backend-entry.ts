import { encodeBackendIds } from "./backend-ids.js";
import {
  backendCapabilitiesKey,
  backendInstructionsKey,
  backendProtocolKey,
  backendSessionKey,
} from "./backend-keys.js";
import { decodeJsonObject, encodeJsonObject, type JsonObject } from "./json-object.js";
import { MetadataKeyBackendIds } from "./keys.js";

/** What the metadata records about one connected backend (its `vmcp.backend.*.<workloadId>` keys). */
export interface BackendEntry {
  /** The backend's workload ID. */
  readonly workloadId: string;
  /** The backend's own session ID; `""` for a backend that runs without sessions (still written). */
  readonly sessionId: string;
  /** The protocol version negotiated with the backend; `undefined` when not known (no key). */
  readonly protocolVersion?: string | undefined;
  /** The backend's server capabilities; `undefined` when not known (no key). */
  readonly capabilities?: JsonObject | undefined;
  /**
   * The `instructions` the backend sent at `initialize`, stored as they are (an empty string
   * included); `undefined` when it sent none or they are not known (no key).
   */
  readonly instructions?: string | undefined;
}

/**
 * The per-backend metadata of one backend: `vmcp.backend.session.<workloadId>` (always, even
 * when the session ID is empty) plus, each when known, `vmcp.backend.protocol.<workloadId>`,
 * `vmcp.backend.capabilities.<workloadId>` (JSON) and `vmcp.backend.instructions.<workloadId>`
 * (the text).
 * @throws {InvalidWorkloadIdError} when the workload ID is not usable.
 * @throws {InvalidMetadataValueError} when the capabilities cannot be written as JSON.
 */
export function encodeBackendEntry(entry: BackendEntry): Record<string, string> {
  const metadata: Record<string, string> = {
    [backendSessionKey(entry.workloadId)]: entry.sessionId,
  };
  if (entry.protocolVersion !== undefined) {
    metadata[backendProtocolKey(entry.workloadId)] = entry.protocolVersion;
  }
  if (entry.capabilities !== undefined) {
    const key = backendCapabilitiesKey(entry.workloadId);
    metadata[key] = encodeJsonObject(key, entry.capabilities);
  }
  if (entry.instructions !== undefined) {
    metadata[backendInstructionsKey(entry.workloadId)] = entry.instructions;
  }
  return metadata;
}

/**
 * Reads one backend's entry back from its per-backend keys; `undefined` when the metadata has no
 * `vmcp.backend.session.<workloadId>` key (its other keys alone are no entry).
 * @throws {InvalidWorkloadIdError} when `workloadId` is not usable.
 * @throws {InvalidMetadataValueError} when the stored capabilities are not a JSON object.
 */
export function decodeBackendEntry(
  metadata: Readonly<Record<string, string>>,
  workloadId: string,
): BackendEntry | undefined {
  const sessionId = metadata[backendSessionKey(workloadId)];
  if (sessionId === undefined) return undefined;
  const protocolVersion = metadata[backendProtocolKey(workloadId)];
  const capabilitiesKey = backendCapabilitiesKey(workloadId);
  const capabilities = metadata[capabilitiesKey];
  const instructions = metadata[backendInstructionsKey(workloadId)];
  return {
    workloadId,
    sessionId,
    ...(protocolVersion === undefined ? {} : { protocolVersion }),
    ...(capabilities === undefined
      ? {}
      : { capabilities: decodeJsonObject(capabilitiesKey, capabilities) }),
    ...(instructions === undefined ? {} : { instructions }),
  };
}

/**
 * The backend part of a new session's metadata: for each entry, in order, its per-backend keys
 * (see {@link encodeBackendEntry}), so a workload ID given twice ends with the last one's values;
 * then `vmcp.backend.ids` = the sorted, de-duplicated, comma-separated workload IDs. With no
 * entry the result is empty (not even the list key).
 * @throws {InvalidWorkloadIdError} when a workload ID is not usable.
 * @throws {InvalidMetadataValueError} when capabilities cannot be written as JSON.
 */
export function encodeBackends(entries: readonly BackendEntry[]): Record<string, string> {
  if (entries.length === 0) return {};
  const metadata: Record<string, string> = {};
  for (const entry of entries) Object.assign(metadata, encodeBackendEntry(entry));
  metadata[MetadataKeyBackendIds] = encodeBackendIds(entries.map((e) => e.workloadId));
  return metadata;
}
