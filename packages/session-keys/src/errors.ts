/**
 * The error vocabulary of vmcp-sessions: one table of stable codes and the one base class every
 * error of every package extends. It lives here, in the package at the bottom of the import graph
 * (no dependencies; `@vmcp/session-core` depends on it), so the key schema's own errors and the
 * core's errors share one class and one code type without an import cycle. `@vmcp/session-core`
 * re-exports both, so users import them from there.
 */

/**
 * Every stable machine-readable code a vmcp-sessions error carries (`error.code`), and that the
 * gateway sends to clients as `error.data.code`. Switch on these names, not on string literals:
 * `code` is typed by this table, so a misspelled case does not compile.
 */
export const ErrorCode = {
  /** `InvalidWorkloadIdError`: a workload ID that cannot be used in keys or the backend list. */
  InvalidWorkloadId: "VMCP_INVALID_WORKLOAD_ID",
  /** `InvalidBackendListError`: a stored backend ID list that cannot be decoded. */
  InvalidBackendList: "VMCP_INVALID_BACKEND_LIST",
  /** `InvalidMetadataValueError`: a stored `vmcp.*` value that cannot be decoded. */
  InvalidMetadataValue: "VMCP_INVALID_METADATA_VALUE",
  /** `InvalidSessionIdError`: a session ID outside 1 to 256 visible ASCII characters. */
  InvalidSessionId: "VMCP_INVALID_SESSION_ID",
  /** `InvalidSessionInputError`: a storage call argument that breaks the contract. */
  InvalidSessionInput: "VMCP_INVALID_SESSION_INPUT",
  /** `SessionDecodeError`: a stored value that is not a session record. */
  SessionDecode: "VMCP_SESSION_DECODE",
  /** `StorageUnavailableError`: the store is unreachable or did not answer in time; retry later. */
  StorageUnavailable: "VMCP_STORAGE_UNAVAILABLE",
  /** `StorageClosedError`: a call after the storage's `close()`. */
  StorageClosed: "VMCP_STORAGE_CLOSED",
  /** `StorageListIncompleteError`: a listing that could not reach every part of the store. */
  StorageListIncomplete: "VMCP_STORAGE_LIST_INCOMPLETE",
  /** `StorageScriptError`: a store's server-side script failed: a bug, not an outage. */
  StorageScript: "VMCP_STORAGE_SCRIPT",
  /** `SessionVersionConflictError`: a conditional update lost to another writer. */
  SessionVersionConflict: "VMCP_SESSION_VERSION_CONFLICT",
  /** `SessionOwnerMismatchError`: the caller is not the session's owner (HTTP 403). */
  SessionOwnerMismatch: "VMCP_SESSION_OWNER_MISMATCH",
  /** `SessionExistsError`: a live session already holds the ID. */
  SessionExists: "VMCP_SESSION_EXISTS",
  /** `SessionClosedError`: a call on a closed manager or session. */
  SessionClosed: "VMCP_SESSION_CLOSED",
  /** `SessionTooLargeError`: client info or metadata over its byte bound. */
  SessionTooLarge: "VMCP_SESSION_TOO_LARGE",
  /** `BusUnavailableError`: the message bus is unreachable or did not answer in time. */
  BusUnavailable: "VMCP_BUS_UNAVAILABLE",
  /** `BusClosedError`: a call after the message bus's `close()`. */
  BusClosed: "VMCP_BUS_CLOSED",
  /** `BusMessageTooLargeError`: a bus message over its byte bound. */
  BusMessageTooLarge: "VMCP_BUS_MESSAGE_TOO_LARGE",
  /** `SessionBusyError`: a session's backend request queue is full. */
  SessionBusy: "VMCP_SESSION_BUSY",
  /** `BackendConnectError`: a backend could not be connected. */
  BackendConnect: "VMCP_BACKEND_CONNECT",
  /** `BackendSessionExpiredError`: a backend no longer knows its session (HTTP 404). */
  BackendSessionExpired: "VMCP_BACKEND_SESSION_EXPIRED",
  /** `BackendUnavailableError`: the connection to a backend is lost. */
  BackendUnavailable: "VMCP_BACKEND_UNAVAILABLE",
  /** `UnknownToolError`: no connected backend offers the tool. */
  UnknownTool: "VMCP_UNKNOWN_TOOL",
  /** `UnknownResourceError`: no connected backend lists the resource. */
  UnknownResource: "VMCP_UNKNOWN_RESOURCE",
  /** `UnknownPromptError`: no connected backend offers the prompt. */
  UnknownPrompt: "VMCP_UNKNOWN_PROMPT",
  /** `McpSdkMissingError`: the MCP SDK (an optional peer) is not installed. */
  McpSdkMissing: "VMCP_MCP_SDK_MISSING",
  /** `RedisClientMissingError`: the Redis client library the storage needs is not installed. */
  RedisClientMissing: "VMCP_REDIS_CLIENT_MISSING",
  /** Gateway: configuration that cannot be used. */
  GatewayConfig: "VMCP_GATEWAY_CONFIG",
  /** Gateway: missing or unverifiable credentials (HTTP 401). */
  Unauthenticated: "VMCP_UNAUTHENTICATED",
  /** Gateway: a bearer token over its byte bound (HTTP 431). */
  TokenTooLarge: "VMCP_TOKEN_TOO_LARGE",
  /** Gateway: a JSON-RPC batch over its length bound. */
  BatchTooLong: "VMCP_BATCH_TOO_LONG",
  /** Gateway: a caller over its `initialize` rate (HTTP 429). */
  InitializeRateLimited: "VMCP_INITIALIZE_RATE_LIMITED",
  /** Gateway: a caller over its live session bound (HTTP 429). */
  TooManySessions: "VMCP_TOO_MANY_SESSIONS",
  /** Gateway: a request kind no connected backend can serve. */
  UnsupportedRequest: "VMCP_UNSUPPORTED_REQUEST",
  /** Gateway: request params the router cannot route (a missing name, URI or task ID). */
  InvalidRequestParams: "VMCP_INVALID_REQUEST_PARAMS",
  /** Gateway: a task ID with no stored route in the session. */
  UnknownTask: "VMCP_UNKNOWN_TASK",
  /** Gateway: a list cursor that is forged, from another session or list, or stale. */
  InvalidCursor: "VMCP_INVALID_CURSOR",
  /** Gateway: a request the client cancelled with `notifications/cancelled`. */
  RequestCancelled: "VMCP_REQUEST_CANCELLED",
  /** Gateway: the client closed the connection mid-request. */
  ClientClosed: "VMCP_CLIENT_CLOSED",
  /** Gateway: a backend's server-to-client request the client did not answer in time. */
  ServerRequestTimeout: "VMCP_SERVER_REQUEST_TIMEOUT",
  /** Gateway: a backend's server-to-client request with no client stream open to carry it. */
  NoClientStream: "VMCP_NO_CLIENT_STREAM",
  /** Gateway: a session over its bound of server-to-client requests waiting for answers. */
  TooManyServerRequests: "VMCP_TOO_MANY_SERVER_REQUESTS",
  /** Gateway: a server-to-client request whose client request ended (or whose replica closed) first. */
  ServerRequestAbandoned: "VMCP_SERVER_REQUEST_ABANDONED",
  /** Gateway: a client's answer that no replica is waiting for (unknown ID, ended, or its replica gone). */
  AnswerUnclaimed: "VMCP_ANSWER_UNCLAIMED",
  /** Gateway: a second `GET /mcp` stream for a session that has one on this replica (HTTP 409). */
  StreamConflict: "VMCP_STREAM_CONFLICT",
  /** Gateway: a multi-round-trip `requestState` that is forged, expired, replayed or bound to another request or caller. */
  InvalidRequestState: "VMCP_INVALID_REQUEST_STATE",
  /** Gateway: a backend answered `input_required` but the gateway has no `requestState` sealing to relay it with. */
  RequestStateUnavailable: "VMCP_REQUEST_STATE_UNAVAILABLE",
} as const;

/** One of the codes of {@link ErrorCode}. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const knownCodes: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/** Whether `value` is one of the codes of {@link ErrorCode}. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && knownCodes.has(value);
}

/**
 * The code of a vmcp-sessions error, or `undefined` for anything else. It reads the `code`
 * property rather than using `instanceof`, so it also recognizes errors from another copy of the
 * packages (two versions installed side by side).
 */
export function errorCodeOf(error: unknown): ErrorCode | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  return isErrorCode(error.code) ? error.code : undefined;
}

/**
 * The base class of every vmcp-sessions error. Its `name` is the concrete class's name (taken from
 * `new.target`, so no subclass sets it by hand), and its `code` is one of {@link ErrorCode}.
 */
export abstract class VmcpSessionError extends Error {
  /** Stable machine-readable code, one of {@link ErrorCode}. */
  abstract readonly code: ErrorCode;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * Thrown when a workload ID cannot be used in metadata keys or in the comma-separated backend
 * list: it is empty, too long, or holds a comma, whitespace or a control character.
 */
export class InvalidWorkloadIdError extends VmcpSessionError {
  readonly code = ErrorCode.InvalidWorkloadId;
  /** The refused workload ID, exactly as given. */
  readonly workloadId: unknown;

  constructor(workloadId: unknown, reason: string) {
    super(`invalid workload ID ${JSON.stringify(workloadId)}: ${reason}`);
    this.workloadId = workloadId;
  }
}

/** Thrown when a stored backend ID list cannot be decoded (one of its entries is not a valid workload ID). */
export class InvalidBackendListError extends VmcpSessionError {
  readonly code = ErrorCode.InvalidBackendList;
  /** The refused list value, exactly as stored. */
  readonly value: string;

  constructor(value: string, cause: InvalidWorkloadIdError) {
    super(`invalid backend ID list ${JSON.stringify(value)}: ${cause.message}`, { cause });
    this.value = value;
  }
}
