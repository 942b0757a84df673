/**
 * @vmcp/session-core: the session record, the one `SessionStorage` interface every store
 * implements, the errors every store throws, session ID generation and validation, and the
 * session layer on top: backend connectors, the multi-backend session factory, the session
 * manager and identity binding. The MCP SDK is loaded only when a backend is first connected.
 * @packageDocumentation
 */
export type {
  BackendConnectContext,
  BackendConnection,
  BackendConnector,
  BackendReattachHint,
  BackendRequestOptions,
} from "./backend-connector.js";
export {
  type BackendChange,
  type BackendUpdateResult,
  DefaultBackendUpdateAttempts,
  updateBackends,
} from "./backend-list-update.js";
export {
  backendEntryMetadata,
  type ConnectedBackendInfo,
  populateBackendMetadata,
  readStoredBackends,
  type StoredBackend,
} from "./backend-metadata.js";
export {
  type BackendRetryOptions,
  DefaultBackendRetryInitialDelayMs,
  DefaultBackendRetryMaxDelayMs,
  DefaultBackendRetryWaitMs,
} from "./backend-retry.js";
export type { BackendTarget, BackendTransportConfig } from "./backend-target.js";
export {
  type AggregateCapabilitiesOptions,
  aggregateCapabilities,
  combineInstructions,
} from "./capabilities.js";
export { type ClientInfoRecord, clientInfoMetadata, readClientInfo } from "./client-info.js";
export {
  ConcurrencyLimit,
  DefaultMaxConcurrentBackendRequests,
  DefaultMaxQueuedBackendRequests,
} from "./concurrency-limit.js";
export {
  BackendConnectError,
  BackendSessionExpiredError,
  BackendUnavailableError,
  InvalidSessionIdError,
  InvalidSessionInputError,
  SessionBusyError,
  SessionClosedError,
  SessionDecodeError,
  SessionExistsError,
  SessionOwnerMismatchError,
  SessionTooLargeError,
  SessionVersionConflictError,
  StorageClosedError,
  StorageUnavailableError,
  UnknownPromptError,
  UnknownResourceError,
  UnknownToolError,
  VmcpSessionError,
} from "./errors.js";
export { IdentityBinder, type SessionOwner } from "./identity-binding.js";
export { DefaultIdleTimeoutMs } from "./idle-sweeper.js";
export { DefaultListRefreshIntervalMs, ListRefreshGate } from "./list-refresh.js";
export type { ManagedSession } from "./managed-session.js";
export { McpBackendConnector, type McpBackendConnectorOptions } from "./mcp-backend-connector.js";
export {
  type BackendInfo,
  DefaultMultiSession,
  type MultiSession,
  type MultiSessionInit,
  type MultiSessionLimits,
  resolveMultiSessionLimits,
} from "./multi-session.js";
export {
  DefaultConnectTimeoutMs,
  type MakeSessionOptions,
  MultiSessionFactory,
  type MultiSessionFactoryOptions,
  type RestoredSession,
} from "./multi-session-factory.js";
export {
  assertValidSessionId,
  generateSessionId,
  isValidSessionId,
  MaxSessionIdLength,
  SessionIdEntropyBytes,
  sessionIdProblem,
} from "./session-id.js";
export {
  BackendRecoveryBackoffMs,
  type CreateSessionOptions,
  DefaultBackendRecoveryAttempts,
  DefaultMaxLiveSessions,
  DefaultSessionTtlMs,
  SessionManager,
  type SessionManagerOptions,
} from "./session-manager.js";
export type {
  NewSession,
  SessionMetadata,
  SessionPatch,
  SessionRecord,
} from "./session-record.js";
export {
  checkClientInfoSize,
  checkMetadataSize,
  DefaultMaxClientInfoBytes,
  DefaultMaxMetadataBytes,
  DefaultMaxMetadataValueBytes,
  type ResolvedSizeLimits,
  resolveSizeLimits,
  type SessionSizeLimits,
} from "./session-size.js";
export type {
  ListOptions,
  LoadOptions,
  SessionStorage,
  UpdateOptions,
} from "./session-storage.js";
export { DefaultStderrMaxLineLength } from "./stderr-lines.js";
export { DefaultStdioStopGraceMs } from "./stdio-processes.js";
export {
  type CheckedPatch,
  checkDeadline,
  checkNewSession,
  checkPatch,
  checkVersion,
} from "./storage-input.js";
export {
  type ExposedItem,
  exposeNames,
  ToolNameSeparator,
  type ToolNaming,
} from "./tool-naming.js";
export {
  DefaultTtlSlideGranularityMs,
  effectiveSlideGranularity,
  slideDue,
} from "./ttl-slide.js";
