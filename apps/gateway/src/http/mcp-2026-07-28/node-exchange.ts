import type { IncomingMessage, ServerResponse } from "node:http";

/** A fetch-shaped handler given the body the endpoint already parsed (the SDK's `handler.fetch`). */
export type ParsedBodyFetch = (request: Request, parsedBody: unknown) => Promise<Response>;

/**
 * Serves one Node request through a fetch-shaped handler, for a body the `/mcp` endpoint already
 * read, bounded and parsed: the web `Request` carries the method, URL and headers but no body
 * (the handler takes `parsedBody`, so nothing is serialized again or streamed twice), and its
 * `signal` aborts when the client goes away before the response ended, which is how the SDK
 * cancels the request's handler. A JSON answer is written in one piece; an SSE stream is copied
 * as it comes, waiting for `drain` when the socket is full, and stops when the client leaves.
 * (`toNodeHandler` of `@modelcontextprotocol/node` does the same for a body it reads itself.)
 */
export async function serveParsed(
  req: IncomingMessage,
  res: ServerResponse,
  parsedBody: unknown,
  handle: ParsedBodyFetch,
): Promise<void> {
  const abort = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) abort.abort();
  };
  res.once("close", onClose);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name.startsWith(":")) continue;
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else headers.set(name, value);
  }
  headers.delete("content-length");
  const request = new Request(`http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`, {
    method: req.method ?? "POST",
    headers,
    signal: abort.signal,
  });
  const response = await handle(request, parsedBody);
  const out: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    out[name] = value;
  });
  if (response.body === null || res.destroyed) {
    res.writeHead(response.status, out).end();
    return;
  }
  if (!(out["content-type"] ?? "").startsWith("text/event-stream")) {
    const body = Buffer.from(await response.arrayBuffer());
    res.writeHead(response.status, { ...out, "content-length": String(body.length) }).end(body);
    return;
  }
  res.writeHead(response.status, out);
  const reader = response.body.getReader();
  abort.signal.addEventListener("abort", () => void reader.cancel().catch(() => undefined), {
    once: true,
  });
  try {
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      if (res.destroyed) break;
      if (!res.write(next.value)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off("drain", done);
            res.off("close", done);
            resolve();
          };
          res.once("drain", done);
          res.once("close", done);
        });
      }
    }
  } catch {
    // The stream failed or was cancelled because the client left: nothing more to send.
  } finally {
    res.off("close", onClose);
    res.end();
  }
}
