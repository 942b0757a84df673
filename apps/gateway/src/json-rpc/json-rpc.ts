import { STATUS_CODES } from "node:http";

/** JSON-RPC error codes the gateway uses beyond the standard ones (server-error range). */
export const GatewayErrorCode = {
  /** Standard: the body is not JSON. */
  ParseError: -32700,
  /** Standard: not a valid JSON-RPC message, or an HTTP-level refusal. */
  InvalidRequest: -32600,
  /** Standard: the method is not offered. */
  MethodNotFound: -32601,
  /** Standard: bad params, unknown tool/resource/prompt. */
  InvalidParams: -32602,
  /** Standard: an unexpected failure. */
  InternalError: -32603,
  /** The session store is unreachable (HTTP 503). */
  StoreUnavailable: -32000,
  /** Unknown, expired or terminated session (HTTP 404), as the MCP SDK reports it. */
  SessionNotFound: -32001,
  /** The session belongs to another identity (HTTP 403). */
  Forbidden: -32002,
  /** Missing or invalid credentials (HTTP 401). */
  Unauthenticated: -32003,
  /** A backend failed while serving the request. */
  BackendUnavailable: -32004,
  /** A limit on the caller's or the session's work was reached (HTTP 429, or per request). */
  LimitExceeded: -32005,
  /** The stored session cannot be decoded (HTTP 500, the same on every replica): initialize a new one. */
  SessionCorrupt: -32006,
  /** MCP 2026-07-28 HeaderMismatch: a request header missing, malformed or disagreeing with the body (HTTP 400). */
  HeaderMismatch: -32020,
  /** MCP 2026-07-28 MissingRequiredClientCapability: the request needs a capability the client did not declare. */
  MissingRequiredClientCapability: -32021,
} as const;

/** A JSON-RPC error object. */
export interface JsonRpcErrorBody {
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

/** A JSON-RPC ID: string, number, or `null` when the request's ID is unknown. */
export type JsonRpcId = string | number | null;

/** A JSON-RPC error response. */
export function errorResponse(id: JsonRpcId, error: JsonRpcErrorBody): object {
  return { jsonrpc: "2.0", id, error };
}

/** A JSON-RPC success response. */
export function resultResponse(id: string | number, result: unknown): object {
  return { jsonrpc: "2.0", id, result };
}

/** An error that carries its own HTTP status and JSON-RPC error, raised while handling `/mcp`. */
export class HttpJsonRpcError extends Error {
  /** The HTTP status to answer with. */
  readonly status: number;
  /** The JSON-RPC error code. */
  readonly rpcCode: number;
  /** Extra headers for the response. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    rpcCode: number,
    message: string,
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "HttpJsonRpcError";
    this.status = status;
    this.rpcCode = rpcCode;
    this.headers = headers;
  }
}

/**
 * A whole HTTP/1.1 response with a JSON-RPC error body (`id: null`) and `connection: close`, as
 * raw text for a socket that has no `ServerResponse` (refusals before or while parsing headers).
 */
export function rawErrorResponse(status: number, rpcCode: number, message: string): string {
  const body = JSON.stringify(errorResponse(null, { code: rpcCode, message }));
  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}`,
    "content-type: application/json",
    `content-length: ${Buffer.byteLength(body)}`,
    "connection: close",
    "",
    body,
  ].join("\r\n");
}
