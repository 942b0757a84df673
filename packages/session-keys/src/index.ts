/**
 * @vmcp/session-keys: the metadata key schema of a vMCP session and its one decoder. Key names,
 * builders, parsers, the encoders and decoders of every `vmcp.*` value (backend list, per-backend
 * entries, client info, identity), backend list changes and workload ID validation. No runtime
 * dependency.
 * @packageDocumentation
 */
export {
  applyBackendChangePlan,
  type BackendChange,
  type BackendChangePlan,
  planBackendChange,
  withBackend,
  withoutBackend,
} from "./backend-change.js";
export {
  type BackendEntry,
  decodeBackendEntry,
  encodeBackendEntry,
  encodeBackends,
} from "./backend-entry.js";
export { decodeBackendIds, encodeBackendIds } from "./backend-ids.js";
export {
  backendCapabilitiesKey,
  backendInstructionsKey,
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
export {
  decodeClientInfo,
  encodeClientInfo,
  type StoredClientInfo,
  type StoredImplementation,
} from "./client-info.js";
export {
  type ErrorCodeReader,
  errorCodeReader,
  InvalidBackendListError,
  InvalidWorkloadIdError,
  KeyErrorCode,
  VmcpSessionError,
} from "./errors.js";
export { decodeIdentity, encodeIdentity, type StoredIdentity } from "./identity.js";
export { decodeJsonObject, encodeJsonObject, type JsonObject } from "./json-object.js";
export {
  MetadataKeyBackendCapabilitiesPrefix,
  MetadataKeyBackendEra,
  MetadataKeyBackendIds,
  MetadataKeyBackendInstructionsPrefix,
  MetadataKeyBackendProtocolPrefix,
  MetadataKeyBackendSessionPrefix,
  MetadataKeyClientCapabilities,
  MetadataKeyClientInfo,
  MetadataKeyClientProtocolVersion,
  MetadataKeyIdentityBinding,
  MetadataKeyIdentityIssuer,
  MetadataKeyIdentitySubject,
  MetadataKeyNamespace,
  MetadataKeyRecordKind,
  MetadataKeySessionPool,
} from "./keys.js";
export {
  type BackendMetadata,
  readBackendIds,
  readBackendMetadata,
  readBackendSessions,
} from "./read-metadata.js";
export { RecordKind, recordKindOf } from "./record-kind.js";
export { InvalidMetadataValueError } from "./value-errors.js";
export {
  assertValidWorkloadId,
  isValidWorkloadId,
  MaxWorkloadIdLength,
  workloadIdProblem,
} from "./workload-id.js";
