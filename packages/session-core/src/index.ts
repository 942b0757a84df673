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
export type {
  BackendMessage,
  BackendMessageHandler,
  BackendMessageOrigin,
  BackendProgress,
} from "./backend-messages.js";
export {
  type BackendRetryOptions,
  DefaultBackendRetryInitialDelayMs,
  DefaultBackendRetryMaxDelayMs,
  DefaultBackendRetryWaitMs,
} from "./backend-retry.js";
export type { BackendTarget, BackendTransportConfig } from "./backend-target.js";
export { checkBusMessage, warnBusHandlerError } from "./bus-input.js";
export {
  type AggregateCapabilitiesOptions,
  aggregateCapabilities,
  combineInstructions,
} from "./capabilities.js";
export type { ClientInfoRecord } from "./client-info.js";
export {
  ConcurrencyLimit,
  DefaultMaxConcurrentBackendRequests,
  DefaultMaxQueuedBackendRequests,
} from "./concurrency-limit.js";
export {
  BackendConnectError,
  BackendSessionExpiredError,
  BackendUnavailableError,
  BusClosedError,
  BusMessageTooLargeError,
  BusUnavailableError,
  ErrorCode,
  errorCodeOf,
  InvalidSessionIdError,
  InvalidSessionInputError,
  isErrorCode,
  McpSdkMissingError,
  SessionBusyError,
  SessionClosedError,
  SessionDecodeError,
  SessionExistsError,
  SessionOwnerMismatchError,
  type SessionOwnerMismatchReason,
  SessionTooLargeError,
  SessionVersionConflictError,
  StorageClosedError,
  StorageListIncompleteError,
  StorageScriptError,
  StorageUnavailableError,
  UnknownPromptError,
  UnknownResourceError,
  UnknownToolError,
  type UnreachableListPart,
  VmcpSessionError,
} from "./errors.js";
export type { SessionOwner } from "./identity-binding.js";
export { DefaultIdleTimeoutMs } from "./idle-sweeper.js";
export { instrumentBus } from "./instrumented-bus.js";
export { instrumentStorage } from "./instrumented-storage.js";
export { DefaultListRefreshIntervalMs, ListRefreshGate } from "./list-refresh.js";
export type { ManagedSession } from "./managed-session.js";
export { McpBackendConnector, type McpBackendConnectorOptions } from "./mcp-backend-connector.js";
export type {
  BackendInfo,
  MultiSession,
  MultiSessionLimits,
  SessionOperations,
} from "./multi-session.js";
export {
  type BackendConnectFailure,
  DefaultConnectTimeoutMs,
  type MakeSessionOptions,
  MultiSessionFactory,
  type MultiSessionFactoryOptions,
  type RestoredSession,
} from "./multi-session-factory.js";
export { createNodeHttpFetch, type FetchFunction } from "./node-http-fetch.js";
export {
  assertValidSessionId,
  generateSessionId,
  isValidSessionId,
  MaxSessionIdLength,
  SessionIdEntropyBytes,
  sessionIdProblem,
} from "./session-id.js";
export {
  type CreateSessionOptions,
  DefaultBackendRecoveryAttempts,
  DefaultMaxLiveSessions,
  DefaultSessionTtlMs,
  SessionManager,
  type SessionManagerOptions,
} from "./session-manager.js";
export {
  type BusMessageHandler,
  type BusSubscription,
  DefaultBusTimeoutMs,
  DefaultMaxBusMessageBytes,
  type SessionMessageBus,
} from "./session-message-bus.js";
export type {
  NewSession,
  SessionMetadata,
  SessionPatch,
  SessionRecord,
} from "./session-record.js";
export {
  DefaultMaxClientInfoBytes,
  DefaultMaxMetadataBytes,
  DefaultMaxMetadataValueBytes,
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
  McpDurationBucketsSeconds,
  mcpTarget,
  SessionInstrumentNames,
  TelemetryScope,
} from "./telemetry-names.js";
export { exposeNames, ToolNameSeparator, type ToolNaming } from "./tool-naming.js";
export { DefaultTtlSlideGranularityMs } from "./ttl-slide.js";
