import { GatewayErrorCode, HttpJsonRpcError } from "./json-rpc.js";

/** One JSON-RPC message a client POSTed: a request (`method` and `id`), a notification (`method`) or a response. */
export interface RpcMessage {
  readonly jsonrpc: "2.0";
  readonly id?: string | number;
  readonly method?: string;
  readonly params?: unknown;
}

/**
 * Checks that `value` is a JSON-RPC 2.0 message: an object with `jsonrpc` `"2.0"`, a string
 * `method` if any, a string or number `id` if any, and a `method`, `result` or `error`.
 * @throws {HttpJsonRpcError} 400 (-32600) naming what is wrong.
 */
export function checkMessage(value: unknown): RpcMessage {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HttpJsonRpcError(
      400,
      GatewayErrorCode.InvalidRequest,
      "a JSON-RPC message must be an object",
    );
  }
  const m = value as Record<string, unknown>;
  if (m.jsonrpc !== "2.0")
    throw new HttpJsonRpcError(400, GatewayErrorCode.InvalidRequest, 'jsonrpc must be "2.0"');
  if (m.method !== undefined && typeof m.method !== "string") {
    throw new HttpJsonRpcError(400, GatewayErrorCode.InvalidRequest, "method must be a string");
  }
  if (m.id !== undefined && typeof m.id !== "string" && typeof m.id !== "number") {
    throw new HttpJsonRpcError(
      400,
      GatewayErrorCode.InvalidRequest,
      "id must be a string or a number",
    );
  }
  if (m.method === undefined && m.result === undefined && m.error === undefined) {
    throw new HttpJsonRpcError(
      400,
      GatewayErrorCode.InvalidRequest,
      "not a request, notification or response",
    );
  }
  return m as unknown as RpcMessage;
}
