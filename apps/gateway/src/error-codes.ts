/**
 * The gateway's error codes. The gateway owns the codes of the errors only it throws (below); the
 * session layer's come from `@vmcp/session-core`. `ErrorCode` here is the one table the gateway
 * switches on (both sets), and `errorCodeOf` reads any code of it.
 */
import { ErrorCode as SessionErrorCode } from "@vmcp/session-core";
import { errorCodeReader } from "@vmcp/session-keys";

/** Every code a gateway error (`error.code`, sent to clients as `error.data.code`) may carry. */
export const ErrorCode = {
  ...SessionErrorCode,
  /** Configuration that cannot be used. */
  GatewayConfig: "VMCP_GATEWAY_CONFIG",
  /** Missing or unverifiable credentials (HTTP 401). */
  Unauthenticated: "VMCP_UNAUTHENTICATED",
  /** A bearer token over its byte bound (HTTP 431). */
  TokenTooLarge: "VMCP_TOKEN_TOO_LARGE",
  /** A JSON-RPC batch over its length bound. */
  BatchTooLong: "VMCP_BATCH_TOO_LONG",
  /** A caller over its `initialize` rate (HTTP 429). */
  InitializeRateLimited: "VMCP_INITIALIZE_RATE_LIMITED",
  /** A caller over its live session bound (HTTP 429). */
  TooManySessions: "VMCP_TOO_MANY_SESSIONS",
  /** A caller over its bound of MCP 2026-07-28 requests in flight (HTTP 429). */
  TooManyModernRequests: "VMCP_TOO_MANY_MODERN_REQUESTS",
  /** A request kind no connected backend can serve. */
  UnsupportedRequest: "VMCP_UNSUPPORTED_REQUEST",
  /** Request params the router cannot route (a missing name, URI or task ID). */
  InvalidRequestParams: "VMCP_INVALID_REQUEST_PARAMS",
  /** A task ID with no stored route in the session (2025) or for the caller (2026-07-28). */
  UnknownTask: "VMCP_UNKNOWN_TASK",
  /** A backend's new task whose ID already routes to another backend or owner. */
  TaskIdConflict: "VMCP_TASK_ID_CONFLICT",
  /** A list cursor that is forged, from another session or list, or stale. */
  InvalidCursor: "VMCP_INVALID_CURSOR",
  /** A request the client cancelled with `notifications/cancelled`. */
  RequestCancelled: "VMCP_REQUEST_CANCELLED",
  /** The client closed the connection mid-request. */
  ClientClosed: "VMCP_CLIENT_CLOSED",
  /** A backend's server-to-client request the client did not answer in time. */
  ServerRequestTimeout: "VMCP_SERVER_REQUEST_TIMEOUT",
  /** A backend's server-to-client request with no client stream open to carry it. */
  NoClientStream: "VMCP_NO_CLIENT_STREAM",
  /** A session over its bound of server-to-client requests waiting for answers. */
  TooManyServerRequests: "VMCP_TOO_MANY_SERVER_REQUESTS",
  /** A server-to-client request whose client request ended (or whose replica closed) first. */
  ServerRequestAbandoned: "VMCP_SERVER_REQUEST_ABANDONED",
  /** A client's answer that no replica is waiting for (unknown ID, ended, or its replica gone). */
  AnswerUnclaimed: "VMCP_ANSWER_UNCLAIMED",
  /** A second `GET /mcp` stream for a session that has one on this replica (HTTP 409). */
  StreamConflict: "VMCP_STREAM_CONFLICT",
  /** A 2026-07-28 `requestState` that is malformed, forged, expired, of another request or caller, or already used. */
  InvalidRequestState: "VMCP_INVALID_REQUEST_STATE",
  /** A `requestState` to seal (or a backend's state inside it) over its byte bound. */
  RequestStateTooLarge: "VMCP_REQUEST_STATE_TOO_LARGE",
  /** A backend's `input_required` the gateway cannot relay: it has no `requestState` sealing. */
  RequestStateUnavailable: "VMCP_REQUEST_STATE_UNAVAILABLE",
  /** A modern backend that kept answering `input_required` past the configured bound on rounds. */
  InputRoundsExceeded: "VMCP_INPUT_ROUNDS_EXCEEDED",
  /** A modern backend's input request of a kind the 2025-era client declared no capability for. */
  InputCapabilityMissing: "VMCP_INPUT_CAPABILITY_MISSING",
  /** A modern backend's input request the client answered with an error, or that is no valid input request. */
  InputRequestFailed: "VMCP_INPUT_REQUEST_FAILED",
  /**
   * A 2025-era session's `resources/subscribe` to a modern backend refused: the replica's
   * backend listens follow their bound of distinct URIs already (-32005).
   */
  TooManyResourceSubscriptions: "VMCP_TOO_MANY_RESOURCE_SUBSCRIPTIONS",
  /** A modern backend that did not answer a call of a 2025-era session within the call bound. */
  BackendCallTimeout: "VMCP_BACKEND_CALL_TIMEOUT",
  /** A 2026-07-28 `tools/call` whose `Mcp-Param-*` headers disagree with its arguments (HTTP 400, -32020). */
  ParamHeaderMismatch: "VMCP_PARAM_HEADER_MISMATCH",
  /**
   * A 2026-07-28 retry whose parked 2025-era call is gone: its replica died or did not answer in
   * time, the call timed out or ended (-32004).
   */
  ParkedCallGone: "VMCP_PARKED_CALL_GONE",
  /** A backend's mid-call request refused: this replica holds its bound of parked calls (-32005). */
  TooManyParkedCalls: "VMCP_TOO_MANY_PARKED_CALLS",
  /** A backend's mid-call request the 2026-07-28 caller declared no capability for (-32601). */
  InputNotDeclared: "VMCP_INPUT_NOT_DECLARED",
} as const;

/** One of the codes of {@link ErrorCode}. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const codes = errorCodeReader(ErrorCode);

/** The code of a gateway or session-layer error (one of {@link ErrorCode}), else `undefined`. */
export function errorCodeOf(error: unknown): ErrorCode | undefined {
  return codes.of(error);
}
