import type { ServerCapabilities } from "@modelcontextprotocol/sdk/types.js";
import {
  backendCapabilitiesKey,
  backendProtocolKey,
  backendSessionKey,
  encodeBackendIds,
  MetadataKeyBackendIDs,
  readBackendMetadata,
} from "@vmcp/session-keys";
import type { BackendReattachHint } from "./backend-connector.js";
import type { SessionMetadata } from "./session-record.js";

/** What the metadata records about one connected backend. */
export interface ConnectedBackendInfo {
  /** The backend's workload ID. */
  readonly workloadId: string;
  /** Its own session ID; `""` for a backend without sessions (still written). */
  readonly sessionId: string;
  /** The negotiated protocol version, when known. */
  readonly protocolVersion: string | undefined;
  /** The server capabilities, when known. */
  readonly capabilities: ServerCapabilities | undefined;
}

/**
 * The per-backend metadata of one backend: `vmcp.backend.session.<id>` (always, even when the
 * session ID is empty) plus the protocol and capabilities keys when known.
 */
export function backendEntryMetadata(backend: ConnectedBackendInfo): SessionMetadata {
  const entry: SessionMetadata = { [backendSessionKey(backend.workloadId)]: backend.sessionId };
  if (backend.protocolVersion !== undefined) {
    entry[backendProtocolKey(backend.workloadId)] = backend.protocolVersion;
  }
  if (backend.capabilities !== undefined) {
    entry[backendCapabilitiesKey(backend.workloadId)] = JSON.stringify(backend.capabilities);
  }
  return entry;
}

/**
 * Writes the backend part of a new session's metadata into `metadata` (the seed's
 * `populateBackendMetadata`): for each connected backend, in order,
 * `vmcp.backend.session.<workloadId>` = its session ID (plus protocol and capabilities keys),
 * so a workload ID listed twice ends with the last one's values; then `vmcp.backend.ids` = the
 * sorted, de-duplicated, comma-separated workload IDs. With no connected backend nothing at all
 * is written.
 */
export function populateBackendMetadata(
  metadata: SessionMetadata,
  connected: readonly ConnectedBackendInfo[],
): void {
  if (connected.length === 0) return;
  for (const backend of connected) Object.assign(metadata, backendEntryMetadata(backend));
  metadata[MetadataKeyBackendIDs] = encodeBackendIds(connected.map((b) => b.workloadId));
}

/** One stored backend of a session and the hint to reattach to it (`undefined` when it runs without sessions). */
export interface StoredBackend {
  /** The backend's workload ID. */
  readonly workloadId: string;
  /** The reattach hint; absent when the stored session ID is empty or missing. */
  readonly hint: BackendReattachHint | undefined;
}

/**
 * The backends listed in `vmcp.backend.ids`, each with its reattach hint from the per-backend keys.
 * Unparseable stored capabilities are ignored (the reattached connection reports none).
 * @throws {InvalidBackendListError} when the list holds an invalid entry.
 */
export function readStoredBackends(metadata: Readonly<SessionMetadata>): StoredBackend[] {
  const { backendIds, backendSessions } = readBackendMetadata(metadata);
  return backendIds.map((workloadId) => {
    const sessionId = backendSessions.get(workloadId);
    if (sessionId === undefined || sessionId === "") return { workloadId, hint: undefined };
    const protocolVersion = metadata[backendProtocolKey(workloadId)];
    const capabilities = parseCapabilities(metadata[backendCapabilitiesKey(workloadId)]);
    return {
      workloadId,
      hint: {
        sessionId,
        ...(protocolVersion === undefined ? {} : { protocolVersion }),
        ...(capabilities === undefined ? {} : { capabilities }),
      },
    };
  });
}

function parseCapabilities(value: string | undefined): ServerCapabilities | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as ServerCapabilities)
      : undefined;
  } catch {
    return undefined;
  }
}
