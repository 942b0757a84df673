import {
  MetadataKeyBackendCapabilitiesPrefix,
  MetadataKeyBackendInstructionsPrefix,
  MetadataKeyBackendProtocolPrefix,
  MetadataKeyBackendSessionPrefix,
} from "./keys.js";
import { assertValidWorkloadId, isValidWorkloadId } from "./workload-id.js";

/**
 * The metadata key holding a backend's session ID: `vmcp.backend.session.<workloadId>`.
 * @throws {InvalidWorkloadIdError} when `workloadId` is not usable.
 */
export function backendSessionKey(workloadId: string): string {
  return MetadataKeyBackendSessionPrefix + assertValidWorkloadId(workloadId);
}

/**
 * The workload ID named by a `vmcp.backend.session.<workloadId>` key, or `undefined` when `key`
 * is not such a key (another key, or a suffix that is not a valid workload ID).
 */
export function parseBackendSessionKey(key: string): string | undefined {
  return parsePrefixedKey(key, MetadataKeyBackendSessionPrefix);
}

/**
 * The metadata key holding the protocol version negotiated with a backend.
 * @throws {InvalidWorkloadIdError} when `workloadId` is not usable.
 */
export function backendProtocolKey(workloadId: string): string {
  return MetadataKeyBackendProtocolPrefix + assertValidWorkloadId(workloadId);
}

/**
 * The metadata key holding a backend's server capabilities (JSON).
 * @throws {InvalidWorkloadIdError} when `workloadId` is not usable.
 */
export function backendCapabilitiesKey(workloadId: string): string {
  return MetadataKeyBackendCapabilitiesPrefix + assertValidWorkloadId(workloadId);
}

/**
 * The metadata key holding the `instructions` a backend sent at `initialize` (plain text).
 * @throws {InvalidWorkloadIdError} when `workloadId` is not usable.
 */
export function backendInstructionsKey(workloadId: string): string {
  return MetadataKeyBackendInstructionsPrefix + assertValidWorkloadId(workloadId);
}

/**
 * The workload ID named by any per-backend key (`vmcp.backend.session.<id>`,
 * `vmcp.backend.protocol.<id>`, `vmcp.backend.capabilities.<id>` or
 * `vmcp.backend.instructions.<id>`), or `undefined` for any other key.
 */
export function parseBackendKey(key: string): string | undefined {
  for (const prefix of BackendKeyPrefixes) {
    const workloadId = parsePrefixedKey(key, prefix);
    if (workloadId !== undefined) return workloadId;
  }
  return undefined;
}

/** Every per-backend metadata key of one backend, for removing it from a session. */
export function backendKeys(workloadId: string): string[] {
  return [
    backendSessionKey(workloadId),
    backendProtocolKey(workloadId),
    backendCapabilitiesKey(workloadId),
    backendInstructionsKey(workloadId),
  ];
}

const BackendKeyPrefixes = [
  MetadataKeyBackendSessionPrefix,
  MetadataKeyBackendProtocolPrefix,
  MetadataKeyBackendCapabilitiesPrefix,
  MetadataKeyBackendInstructionsPrefix,
] as const;

function parsePrefixedKey(key: string, prefix: string): string | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const workloadId = key.slice(prefix.length);
  return isValidWorkloadId(workloadId) ? workloadId : undefined;
}
