import type { IncomingMessage } from "node:http";
import { GatewayErrorCode, HttpJsonRpcError } from "./json-rpc.js";

/**
 * Reads the request body as UTF-8, refusing more than `maxBytes` bytes with a 413
 * `HttpJsonRpcError` (checked against `Content-Length` first, then while streaming).
 */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size).toString("utf8");
}

function tooLarge(maxBytes: number): HttpJsonRpcError {
  return new HttpJsonRpcError(
    413,
    GatewayErrorCode.InvalidRequest,
    `request body larger than ${maxBytes} bytes`,
    { connection: "close" },
  );
}
