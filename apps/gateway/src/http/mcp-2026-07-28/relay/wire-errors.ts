import { ProtocolError } from "@modelcontextprotocol/server";
import { UnknownResourceError } from "@vmcp/session-core";
import { ErrorCode, errorCodeOf } from "../../../error-codes.js";
import { rpcErrorOf } from "../../../json-rpc/error-mapping.js";
import { GatewayErrorCode } from "../../../json-rpc/json-rpc.js";
import { ParamHeaderMismatchError } from "./param-header-check.js";

/** How one modern request's failure goes on the wire, and whether it is worth a log line. */
export interface WireError {
  /** Thrown from the handler: the SDK answers it with its code, message and data. */
  readonly error: ProtocolError;
  /** `warn` for a backend failure, `error` for an unexpected one, `undefined` for none. */
  readonly log?: "warn" | "error";
  /**
   * The HTTP status the answer must carry when the spec makes this error a refusal of the whole
   * request (400 for a -32020 header mismatch), though the SDK answers a handler's error in-band
   * (200): the endpoint sets it (see `RefusalStatuses`). `undefined`: the SDK's status stands.
   */
  readonly httpStatus?: number;
}

/**
 * The JSON-RPC error a failed modern request answers, by the same table the 2025 path uses
 * (`rpcErrorOf`: typed gateway errors with `data.code`, a backend's own JSON-RPC errors passed
 * through, anything else -32603), plus those of the modern path: an `Mcp-Param-*` header that
 * disagrees with the arguments is -32020 HeaderMismatch with HTTP 400 (`data.mismatch` names the
 * header, as the SDK's own check does), a refused `requestState` is -32602 "Invalid or expired
 * requestState" with `data.reason` `invalid_request_state` (the SDK's own answer to a state its
 * verify hook refuses), a backend's `input_required` the gateway cannot seal is -32603, and a URI
 * no backend offers is -32602 with the URI in `data.uri` (SEP-2164: "SHOULD include the requested
 * uri").
 */
export function wireErrorOf(error: unknown): WireError {
  const code = errorCodeOf(error);
  if (error instanceof ParamHeaderMismatchError) {
    // The SDK's own answer to a McpServer tool's Mcp-Param-* mismatch, plus our data.code.
    const detail = error.message;
    return {
      error: new ProtocolError(
        GatewayErrorCode.HeaderMismatch,
        `Bad Request: the request headers and body disagree: ${detail}`,
        { mismatch: { header: error.header, body: detail }, code },
      ),
      httpStatus: 400,
    };
  }
  if (code === ErrorCode.InvalidRequestState) {
    return {
      error: new ProtocolError(GatewayErrorCode.InvalidParams, "Invalid or expired requestState", {
        reason: "invalid_request_state",
        code,
      }),
    };
  }
  if (code === ErrorCode.RequestStateUnavailable) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      error: new ProtocolError(GatewayErrorCode.InternalError, message, { code }),
      log: "warn",
    };
  }
  const { body, log } = rpcErrorOf(error);
  const data =
    error instanceof UnknownResourceError
      ? { ...(body.data as Record<string, unknown> | undefined), uri: error.uri }
      : body.data;
  // fromError picks the SDK's own class for a code it knows (-32021 is answered with HTTP 400).
  const wire = ProtocolError.fromError(body.code, body.message, data);
  return log === undefined ? { error: wire } : { error: wire, log };
}
