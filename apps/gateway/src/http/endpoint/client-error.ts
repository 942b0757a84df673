import type { Duplex } from "node:stream";
import { GatewayErrorCode, rawErrorResponse } from "../../json-rpc/json-rpc.js";
import type { GatewayLogger } from "../../logger.js";

/** Default bound on receiving a request's headers: 10 s, in ms (then 408). */
export const DefaultHeadersTimeoutMs = 10_000;
/** Default bound on all request headers together: 16 KiB, in bytes (Node's default; then 431). */
export const DefaultMaxHeaderBytes = 16 * 1024;

/** The limits a header-level refusal names in its message. */
export interface ClientErrorLimits {
  /** Bound on all request headers, bytes. */
  readonly maxHeaderBytes: number;
  /** Bound on receiving the headers, ms. */
  readonly headersTimeoutMs: number;
}

/** The HTTP status and message a header-level refusal answers with. */
export interface ClientErrorRefusal {
  readonly status: number;
  readonly message: string;
}

/**
 * How the gateway answers an error Node's HTTP parser raises before a request reaches a handler
 * (the server's `clientError` event): 431 for headers over `maxHeaderBytes`, 408 when the
 * request did not arrive in time, 413 for oversized chunk extensions, 400 for anything else
 * malformed. `undefined` when the client is gone (`ECONNRESET`) and nothing should be written.
 */
export function clientErrorRefusal(
  code: string | undefined,
  limits: ClientErrorLimits,
): ClientErrorRefusal | undefined {
  switch (code) {
    case "ECONNRESET":
      return undefined;
    case "HPE_HEADER_OVERFLOW":
      return {
        status: 431,
        message: `request headers larger than ${limits.maxHeaderBytes} bytes`,
      };
    case "ERR_HTTP_REQUEST_TIMEOUT":
    case "HPE_HEADERS_TIMEOUT":
      return {
        status: 408,
        message: `request not received in time (headers are due within ${limits.headersTimeoutMs} ms)`,
      };
    case "HPE_CHUNK_EXTENSIONS_OVERFLOW":
      return { status: 413, message: "chunk extensions too large" };
    default:
      return { status: 400, message: `malformed HTTP request (${code ?? "parse error"})` };
  }
}

/**
 * The server's `clientError` handler: answers with a JSON-RPC error body (see
 * {@link clientErrorRefusal}) and closes the connection. Logs one debug line with the error's
 * code and status, never the request's bytes (`rawPacket`). A socket whose response has already
 * begun is destroyed instead.
 */
export function handleClientError(
  error: Error & { code?: string },
  socket: Duplex,
  limits: ClientErrorLimits,
  log: GatewayLogger,
): void {
  const refusal = clientErrorRefusal(error.code, limits);
  log.debug({ code: error.code, status: refusal?.status, reason: error.message }, "client error");
  const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (refusal === undefined || !socket.writable || inFlight?.headersSent === true) {
    socket.destroy();
    return;
  }
  socket.end(rawErrorResponse(refusal.status, GatewayErrorCode.InvalidRequest, refusal.message));
}
