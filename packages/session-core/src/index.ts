/**
 * @vmcp/session-core: the session layer of a virtual MCP server. The session record and the
 * `SessionStorage` and `SessionMessageBus` contracts (a store author imports them, with the input
 * checks, from `@vmcp/session-core/storage`), the typed errors, session IDs, and on top of them the
 * backend connectors, the multi-backend session factory, the session manager and identity
 * binding, and their telemetry. The MCP SDK is loaded only when a backend is first connected.
 * Option defaults are stated by `@default` in each option's JSDoc; the few a configuration layer
 * reuses come from `@vmcp/session-core/defaults`.
 * @packageDocumentation
 */

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
export type { BackendRetryOptions } from "./backends/backend-retry.js";
export type { BackendTarget, BackendTransportConfig } from "./backends/backend-target.js";
export {
  BackendConnectError,
  BackendSessionExpiredError,
  BackendUnavailableError,
  McpSdkMissingError,
} from "./backends/errors.js";
export { createNodeHttpFetch, type FetchFunction } from "./backends/node-http-fetch.js";
export {
  McpBackendConnector,
  type McpBackendConnectorOptions,
} from "./backends/sdk-v1/mcp-backend-connector.js";
export { ErrorCode, errorCodeOf, isErrorCode } from "./error-codes.js";
export {
  MessageBusServerEventBus,
  type MessageBusServerEventBusOptions,
  ServerEventsChannelId,
} from "./events/message-bus-server-event-bus.js";
export {
  type ServerEvent,
  type ServerEventBus,
  type ServerEventKind,
  ServerEventKinds,
  type ServerEventListener,
  type ServerEventParams,
} from "./events/server-event.js";
export { ServerEventDecodeError } from "./events/server-event-errors.js";
export {
  type AggregateCapabilitiesOptions,
  aggregateCapabilities,
  combineInstructions,
} from "./sessions/capabilities.js";
export type { ClientInfoRecord } from "./sessions/client-info.js";
export { ConcurrencyLimit } from "./sessions/concurrency-limit.js";
export {
  SessionBusyError,
  SessionClosedError,
  SessionExistsError,
  SessionOwnerMismatchError,
  type SessionOwnerMismatchReason,
  SessionTooLargeError,
  UnknownPromptError,
  UnknownResourceError,
  UnknownToolError,
} from "./sessions/errors.js";
export type { SessionOwner } from "./sessions/identity-binding.js";
export { ListRefreshGate } from "./sessions/list-refresh.js";
export type { ManagedSession } from "./sessions/managed-session.js";
export type { MultiSessionLimits } from "./sessions/multi-session.js";
export {
  type BackendConnectFailure,
  type MakeSessionOptions,
  MultiSessionFactory,
  type MultiSessionFactoryOptions,
  type RestoredSession,
} from "./sessions/multi-session-factory.js";
export { SessionManager } from "./sessions/session-manager.js";
export type {
  CreateSessionOptions,
  SessionManagerOptions,
} from "./sessions/session-manager-options.js";
export type {
  BackendInfo,
  MultiSession,
  SessionOperations,
} from "./sessions/session-operations.js";
export type { SessionSizeLimits } from "./sessions/session-size.js";
export { exposeNames, ToolNameSeparator, type ToolNaming } from "./sessions/tool-naming.js";
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
export type {
  BusMessageHandler,
  BusSubscription,
  SessionMessageBus,
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
export type { BackendCallInfo } from "./telemetry/backend-call-info.js";
export { traceBackendRequest } from "./telemetry/backend-request-span.js";
export { instrumentBus } from "./telemetry/instrumented-bus.js";
export { instrumentStorage } from "./telemetry/instrumented-storage.js";
export {
  McpDurationBucketsSeconds,
  mcpTarget,
  SessionInstrumentNames,
  TelemetryScope,
} from "./telemetry/telemetry-names.js";
