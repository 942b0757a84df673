import { VmcpSessionError } from "@vmcp/session-keys";
import { ErrorCode } from "../../error-codes.js";

/**
 * A request the gateway cannot serve in this session: an unknown method, or a capability no
 * connected backend (or not the owning one) offers. Answered -32601 (method not found).
 */
export class UnsupportedRequestError extends VmcpSessionError {
  readonly code = ErrorCode.UnsupportedRequest;
  /** The JSON-RPC method asked for. */
  readonly method: string;

  constructor(method: string, reason?: string) {
    super(`method not found: ${method}${reason === undefined ? "" : ` (${reason})`}`);
    this.method = method;
  }
}

/** Params the router cannot route: a missing or mistyped field. Answered -32602. */
export class InvalidRequestParamsError extends VmcpSessionError {
  readonly code = ErrorCode.InvalidRequestParams;

  constructor(reason: string) {
    super(`invalid params: ${reason}`);
  }
}

/**
 * A task ID with no route: never made in this session, or its backend left (2025-11-25); no
 * route stored, or one that belongs to another caller (2026-07-28, alike on purpose). Answered
 * -32602.
 */
export class UnknownTaskError extends VmcpSessionError {
  readonly code = ErrorCode.UnknownTask;
  /** The task ID asked for. */
  readonly taskId: string;

  constructor(taskId: string) {
    super(`unknown task ${JSON.stringify(taskId)}`);
    this.taskId = taskId;
  }
}
