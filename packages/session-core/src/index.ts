/**
 * @vmcp/session-core: the session record, the one `SessionStorage` interface every store
 * implements, the errors every store throws, session ID generation and validation, and the
 * session layer on top: backend connectors, the multi-backend session factory, the session
 * manager and identity binding. The MCP SDK is loaded only when a backend is first connected.
 * @packageDocumentation
 */

export { ErrorCode, errorCodeOf, isErrorCode, VmcpSessionError } from "@vmcp/session-keys";
export type {
  BackendConnectContext,
  BackendConnection,
  BackendConnector,
  BackendReattachHint,
  BackendRequestOptions,
} from "./backends/backend-connector.js";
export type {
  BackendMessage,
  BackendMessageHandler,
  BackendMessageOrigin,
  BackendProgress,
} from "./backends/backend-messages.js";
export {
  type BackendRetryOptions,
  DefaultBackendRetryInitialDelayMs,
  DefaultBackendRetryMaxDelayMs,
  DefaultBackendRetryWaitMs,
} from "./backends/backend-retry.js";
export type { BackendTarget, BackendTransportConfig } from "./backends/backend-target.js";
export {
  BackendConnectError,
  BackendSessionExpiredError,
  BackendUnavailableError,
  McpSdkMissingError,
} from "./backends/errors.js";
export {
  McpBackendConnector,
  type McpBackendConnectorOptions,
} from "./backends/sdk-v1/mcp-backend-connector.js";
export { DefaultStderrMaxLineLength } from "./backends/stderr-lines.js";
export { DefaultStdioStopGraceMs } from "./backends/stdio-processes.js";
export {
  type AggregateCapabilitiesOptions,
  aggregateCapabilities,
  combineInstructions,
} from "./sessions/capabilities.js";
export type { ClientInfoRecord } from "./sessions/client-info.js";
export {
  ConcurrencyLimit,
  DefaultMaxConcurrentBackendRequests,
  DefaultMaxQueuedBackendRequests,
} from "./sessions/concurrency-limit.js";
export {
  SessionBusyError,
  SessionClosedError,
  SessionExistsError,
  SessionOwnerMismatchError,
  SessionTooLargeError,
  UnknownPromptError,
  UnknownResourceError,
  UnknownToolError,
} from "./sessions/errors.js";
export type { SessionOwner } from "./sessions/identity-binding.js";
export { DefaultIdleTimeoutMs } from "./sessions/idle-sweeper.js";
export { DefaultListRefreshIntervalMs, ListRefreshGate } from "./sessions/list-refresh.js";
export type { ManagedSession } from "./sessions/managed-session.js";
export type {
  BackendInfo,
  MultiSession,
  MultiSessionLimits,
  SessionOperations,
} from "./sessions/multi-session.js";
export {
  DefaultConnectTimeoutMs,
  type MakeSessionOptions,
  MultiSessionFactory,
  type MultiSessionFactoryOptions,
  type RestoredSession,
} from "./sessions/multi-session-factory.js";
export {
  type CreateSessionOptions,
  DefaultBackendRecoveryAttempts,
  DefaultMaxLiveSessions,
  DefaultSessionTtlMs,
  SessionManager,
  type SessionManagerOptions,
} from "./sessions/session-manager.js";
export {
  DefaultMaxClientInfoBytes,
  DefaultMaxMetadataBytes,
  DefaultMaxMetadataValueBytes,
  type SessionSizeLimits,
} from "./sessions/session-size.js";
export { exposeNames, ToolNameSeparator, type ToolNaming } from "./sessions/tool-naming.js";
export { checkBusMessage, warnBusHandlerError } from "./storage/bus-input.js";
export {
  BusClosedError,
  BusMessageTooLargeError,
  BusUnavailableError,
  InvalidSessionIdError,
  InvalidSessionInputError,
  SessionDecodeError,
  SessionVersionConflictError,
  StorageClosedError,
  StorageListIncompleteError,
  StorageScriptError,
  StorageUnavailableError,
  type UnreachableListPart,
} from "./storage/errors.js";
export {
  assertValidSessionId,
  generateSessionId,
  isValidSessionId,
  MaxSessionIdLength,
  SessionIdEntropyBytes,
  sessionIdProblem,
} from "./storage/session-id.js";
export {
  type BusMessageHandler,
  type BusSubscription,
  DefaultBusTimeoutMs,
  DefaultMaxBusMessageBytes,
  type SessionMessageBus,
} from "./storage/session-message-bus.js";
export type {
  NewSession,
  SessionMetadata,
  SessionPatch,
  SessionRecord,
} from "./storage/session-record.js";
export type {
  ListOptions,
  LoadOptions,
  SessionStorage,
  UpdateOptions,
} from "./storage/session-storage.js";
export {
  type CheckedPatch,
  checkDeadline,
  checkNewSession,
  checkPatch,
  checkVersion,
} from "./storage/storage-input.js";
export { DefaultTtlSlideGranularityMs } from "./storage/ttl-slide.js";
export { instrumentBus } from "./telemetry/instrumented-bus.js";
export { instrumentStorage } from "./telemetry/instrumented-storage.js";
export {
  McpDurationBucketsSeconds,
  mcpTarget,
  SessionInstrumentNames,
  TelemetryScope,
} from "./telemetry/telemetry-names.js";
