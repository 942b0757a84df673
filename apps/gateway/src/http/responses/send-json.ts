import type { ServerResponse } from "node:http";

/**
 * Writes `body` as a whole `application/json` response with `status` and `headers` (and its
 * `content-length`), and ends it: every plain JSON answer of the gateway goes out here.
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}
