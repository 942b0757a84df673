/**
 * @vmcp/session-keys: the metadata key schema of a vMCP session. Key names, builders, parsers,
 * the backend ID list encoding and workload ID validation. No runtime dependency.
 * @packageDocumentation
 */
export { decodeBackendIds, encodeBackendIds } from "./backend-ids.js";
export {
  backendCapabilitiesKey,
  backendKeys,
  backendProtocolKey,
  backendSessionKey,
  parseBackendKey,
  parseBackendSessionKey,
} from "./backend-keys.js";
export {
  MetadataKeyLoggingLevel,
  MetadataKeySubscriptionPrefix,
  MetadataKeyTaskRoutePrefix,
  parseSubscriptionKey,
  parseTaskRouteKey,
  subscriptionKey,
  taskRouteKey,
} from "./capability-keys.js";
export { InvalidBackendListError, InvalidWorkloadIdError } from "./errors.js";
export {
  MetadataKeyBackendCapabilitiesPrefix,
  MetadataKeyBackendIDs,
  MetadataKeyBackendProtocolPrefix,
  MetadataKeyBackendSessionPrefix,
  MetadataKeyClientCapabilities,
  MetadataKeyClientInfo,
  MetadataKeyClientProtocolVersion,
  MetadataKeyIdentityBinding,
  MetadataKeyIdentityIssuer,
  MetadataKeyIdentitySubject,
  MetadataKeyNamespace,
} from "./keys.js";
export { type BackendMetadata, readBackendMetadata } from "./read-metadata.js";
export {
  assertValidWorkloadId,
  isValidWorkloadId,
  MaxWorkloadIdLength,
  workloadIdProblem,
} from "./workload-id.js";
