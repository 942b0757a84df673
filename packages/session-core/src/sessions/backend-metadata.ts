import type { ServerCapabilities } from "@modelcontextprotocol/sdk/types.js";
import {
  backendInstructionsKey,
  decodeBackendEntry,
  encodeBackendEntry,
  encodeBackends,
  InvalidMetadataValueError,
  readBackendIds,
} from "@vmcp/session-keys";
import type { BackendReattachHint } from "../backends/backend-connector.js";
import { definedFields } from "../defined-fields.js";
import type { SessionMetadata } from "../storage/session-record.js";
import type { ResolvedSizeLimits } from "./session-size.js";
import { storableInstructions } from "./stored-instructions.js";

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
  /** The instructions it sent at `initialize`, when any (or restored from the hint). */
  readonly instructions?: string | undefined;
}

/** The writes that record one connected backend in its session's stored metadata. */
export interface BackendEntryChange {
  /**
   * Its per-backend keys: `vmcp.backend.session.<id>` (always, even when the session ID is
   * empty) plus the protocol, capabilities and instructions keys when known, the instructions only
   * when they fit `maxMetadataValueBytes` (see `storableInstructions`).
   */
  readonly set: SessionMetadata;
  /** Its instructions key when it has no instructions to store, so stale ones are not kept. */
  readonly unset: readonly string[];
}

/**
 * What to write for a backend just connected or reattached: its per-backend keys, and the removal
 * of its instructions key when it has none to store (a fresh `initialize` without instructions,
 * or with instructions over `maxMetadataValueBytes`), so a later restore never reports
 * instructions the backend no longer sends.
 */
export function backendEntryChange(
  backend: ConnectedBackendInfo,
  limits: Pick<ResolvedSizeLimits, "maxMetadataValueBytes">,
): BackendEntryChange {
  const entry = storedEntry(backend, limits);
  return {
    set: encodeBackendEntry(entry),
    unset: entry.instructions === undefined ? [backendInstructionsKey(backend.workloadId)] : [],
  };
}

/** What of `backend` is stored: its instructions only when they fit. */
function storedEntry(
  backend: ConnectedBackendInfo,
  limits: Pick<ResolvedSizeLimits, "maxMetadataValueBytes">,
): ConnectedBackendInfo {
  const { workloadId, sessionId, protocolVersion, capabilities } = backend;
  return {
    workloadId,
    sessionId,
    protocolVersion,
    capabilities,
    instructions: storableInstructions(backend.instructions, limits),
  };
}

/**
 * Writes the backend part of a new session's metadata into `metadata` (what the Go task calls
 * `populateBackendMetadata`, see `encodeBackends` of `@vmcp/session-keys`): for each connected
 * backend, in order, `vmcp.backend.session.<workloadId>` = its session ID (plus protocol,
 * capabilities and instructions keys, see {@link backendEntryChange}), so a workload ID listed
 * twice ends with the last one's values; then `vmcp.backend.ids` = the sorted, de-duplicated,
 * comma-separated workload IDs. With no connected backend nothing at all is written.
 */
export function populateBackendMetadata(
  metadata: SessionMetadata,
  connected: readonly ConnectedBackendInfo[],
  limits: Pick<ResolvedSizeLimits, "maxMetadataValueBytes">,
): void {
  Object.assign(metadata, encodeBackends(connected.map((b) => storedEntry(b, limits))));
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
 * Stored capabilities that are not a JSON object are ignored (the reattached connection reports
 * none), so one bad value does not keep a backend from being reattached.
 * @throws {InvalidBackendListError} when the list holds an invalid entry.
 */
export function readStoredBackends(metadata: Readonly<SessionMetadata>): StoredBackend[] {
  return readBackendIds(metadata).map((workloadId) => {
    const entry = decodeIgnoringBadValues(metadata, workloadId);
    if (entry === undefined || entry.sessionId === "") return { workloadId, hint: undefined };
    const { sessionId, protocolVersion, capabilities, instructions } = entry;
    return {
      workloadId,
      hint: {
        sessionId,
        ...definedFields({
          protocolVersion,
          capabilities: capabilities as ServerCapabilities | undefined,
          instructions,
        }),
      },
    };
  });
}

/** `decodeBackendEntry`, leaving out a value it refuses (only the capabilities can be refused). */
function decodeIgnoringBadValues(metadata: Readonly<SessionMetadata>, workloadId: string) {
  try {
    return decodeBackendEntry(metadata, workloadId);
  } catch (error) {
    if (!(error instanceof InvalidMetadataValueError)) throw error;
    const rest = { ...metadata };
    delete rest[error.key];
    return decodeBackendEntry(rest, workloadId);
  }
}
