import { GatewayErrorCode, HttpJsonRpcError } from "../../json-rpc/json-rpc.js";

/** Default bound on the nesting depth of a JSON request body: 64 levels. */
export const DefaultMaxJsonDepth = 64;

/**
 * Whether a `Content-Type` value names JSON: the media type (before any `;` parameters) is
 * exactly `application/json`, case-insensitive. `application/json-seq` and other `+json` or
 * `json-*` types are not accepted: the endpoint parses one JSON text, nothing else.
 */
export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const mediaType = value.split(";", 1)[0]?.trim().toLowerCase();
  return mediaType === "application/json";
}

/**
 * Parses a request body as JSON and checks its nesting (arrays and objects) is at most
 * `maxDepth` levels (default {@link DefaultMaxJsonDepth}), so no later step (schema checks,
 * serializing for a backend) can overflow the stack.
 * @throws {HttpJsonRpcError} 400 with -32700 for text that is not JSON (the message names the
 *   position, never the text), 400 with -32600 for nesting deeper than `maxDepth`.
 */
export function parseJsonBody(text: string, maxDepth: number = DefaultMaxJsonDepth): unknown {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    throw new HttpJsonRpcError(
      400,
      GatewayErrorCode.ParseError,
      `parse error: the body is not valid JSON${position === undefined ? "" : ` (at position ${position})`}`,
    );
  }
  if (depthExceeds(body, maxDepth)) {
    throw new HttpJsonRpcError(
      400,
      GatewayErrorCode.InvalidRequest,
      `the body nests arrays and objects deeper than ${maxDepth} levels`,
    );
  }
  return body;
}

/** Whether `value` nests arrays/objects more than `maxDepth` levels; iterative, so never deep itself. */
function depthExceeds(value: unknown, maxDepth: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [item, depth] = next;
    if (typeof item !== "object" || item === null) continue;
    if (depth > maxDepth) return true;
    const children = Array.isArray(item) ? item : Object.values(item);
    for (const child of children) {
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}
