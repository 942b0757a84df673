/**
 * The codes of every error a session-core call can throw: session-core's own, and the key
 * schema's (`@vmcp/session-keys`), which reach session-core's callers through its validation.
 * The codes of the errors a store or an application alone throws (a missing Redis client, the
 * gateway's refusals) belong to that store or application, not here.
 */
import { errorCodeReader, KeyErrorCode } from "@vmcp/session-keys";

/**
 * Every stable machine-readable code a session-core error carries (`error.code`), and that a
 * gateway sends to clients as `error.data.code`. Switch on `errorCodeOf(error)` against these
 * names, not on string literals: it is typed by this table, so a misspelled case does not compile.
 */
export const ErrorCode = {
  ...KeyErrorCode,
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
  /** `ServerEventDecodeError`: a message on the server events channel that is not a server event. */
  ServerEventDecode: "VMCP_SERVER_EVENT_DECODE",
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
} as const;

/** One of the codes of {@link ErrorCode}. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const codes = errorCodeReader(ErrorCode);

/** Whether `value` is one of the codes of {@link ErrorCode}. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return codes.is(value);
}

/**
 * The code of a session-core error (one of {@link ErrorCode}), or `undefined` for anything else.
 * It reads the `code` property rather than using `instanceof`, so it also recognizes errors from
 * another copy of the packages (two versions installed side by side).
 */
export function errorCodeOf(error: unknown): ErrorCode | undefined {
  return codes.of(error);
}
