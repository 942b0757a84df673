import { VmcpSessionError } from "@vmcp/session-keys";
import { ErrorCode } from "../../../error-codes.js";
import { GatewayErrorCode, type JsonRpcErrorBody } from "../../../json-rpc/json-rpc.js";

/**
 * Why a `requestState` was refused, for the gateway's own log only (the client is told none of
 * it):
 * - `malformed`: not a string, empty, over the size bound, not `v1.<payload>.<mac>`, or a payload
 *   that does not decode;
 * - `mac`: the MAC does not verify (tampered, or sealed under another binding secret);
 * - `expired`: its deadline has passed;
 * - `bind`: sealed for another caller, method, tool/prompt name, resource URI or arguments;
 * - `replayed`: already used once (on this replica or another).
 */
export type RequestStateRefusal = "malformed" | "mac" | "expired" | "bind" | "replayed";

/**
 * A `requestState` that the retry presents and the gateway refuses. The client always gets the
 * same in-band error ({@link refuseRequestState}); `reason` (and the fixed `message`, never the
 * state's content) is for the log.
 */
export class InvalidRequestStateError extends VmcpSessionError {
  readonly code = ErrorCode.InvalidRequestState;
  /** Why it was refused. */
  readonly reason: RequestStateRefusal;

  /**
   * @param reason why it was refused.
   * @param detail a fixed description for the log; never text taken from the state.
   */
  constructor(reason: RequestStateRefusal, detail: string = reason) {
    super(`invalid requestState (${reason}): ${detail}`);
    this.reason = reason;
  }
}

/**
 * A state to seal that would exceed its bound: the backend's own `requestState` over
 * `maxBackendStateBytes`, or the sealed state over `maxStateBytes` (which the gateway would then
 * refuse on the retry). Raised while answering the backend's `input_required`, so it is that
 * call's error (a backend failure, not the client's): the gateway's `rpcErrorOf` answers it
 * -32603 until its table names `VMCP_REQUEST_STATE_TOO_LARGE`. Never answer it as an invalid state.
 */
export class RequestStateTooLargeError extends VmcpSessionError {
  readonly code = ErrorCode.RequestStateTooLarge;
  /** What was too large: the backend's state, or the sealed state. */
  readonly subject: "backend state" | "request state";
  /** Its size, bytes. */
  readonly bytes: number;
  /** The bound it exceeds, bytes. */
  readonly limit: number;

  constructor(subject: "backend state" | "request state", bytes: number, limit: number) {
    super(`the ${subject} is ${bytes} bytes, over the bound of ${limit} bytes`);
    this.subject = subject;
    this.bytes = bytes;
    this.limit = limit;
  }
}

/** The message of the spec's (and SDK v2's) error for a refused `requestState`. */
export const InvalidRequestStateMessage = "Invalid or expired requestState";

/** The `data.reason` of the spec's (and SDK v2's) error for a refused `requestState`. */
export const InvalidRequestStateDataReason = "invalid_request_state";

/** Where {@link refuseRequestState} writes its info line: the gateway's pino logger fits. */
export interface RequestStateRefusalLog {
  /** Writes one line at info level. */
  info(fields: Record<string, unknown>, message: string): void;
}

/**
 * The one mapping of a refused `requestState` to the client's answer: the JSON-RPC error of the
 * spec, in-band (HTTP 200) for that request, the same for every reason, so the client learns
 * nothing finer than "invalid or expired":
 * `{ code: -32602, message: "Invalid or expired requestState", data: { reason: "invalid_request_state" } }`.
 * When `log` is given, it first writes an info line with the `reason`, and `context` (e.g. the
 * method and request ID; never the state itself).
 */
export function refuseRequestState(
  error: InvalidRequestStateError,
  log?: RequestStateRefusalLog,
  context: Readonly<Record<string, unknown>> = {},
): JsonRpcErrorBody {
  log?.info({ ...context, reason: error.reason, code: error.code }, "requestState refused");
  return {
    code: GatewayErrorCode.InvalidParams,
    message: InvalidRequestStateMessage,
    data: { reason: InvalidRequestStateDataReason },
  };
}
