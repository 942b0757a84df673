import { setMaxListeners } from "node:events";
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { Readable, type Transform } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import { withPropagatedHeaders } from "../telemetry/telemetry.js";

/** The fetch signature the MCP SDK's transports accept (the SDK's `FetchLike`). */
export type FetchFunction = (url: string | URL, init?: RequestInit) => Promise<Response>;

/**
 * Idle bound of a request in flight, ms: no bytes for this long fails it (as `fetch`'s default
 * headers and body timeouts of 300 s do).
 */
const IdleTimeoutMs = 300_000;

/** Decodes bodies as `Response.text()` does (UTF-8, a leading BOM dropped, bad bytes replaced). */
const utf8 = new TextDecoder();

/**
 * Keep-alive agents' options. `timeout` (ms) closes an idle socket after 4 s, or 1 s before the
 * backend's own `Keep-Alive: timeout=N` hint (Node applies the hint only when a timeout is set),
 * so a request is never sent on a socket the backend is closing: that fails with ECONNRESET.
 */
const AgentOptions = { keepAlive: true, scheduling: "lifo", timeout: 4_000 } as const;

/** Statuses whose response has no body. */
const NullBodyStatuses = new Set([101, 103, 204, 205, 304]);

/**
 * A `fetch` over `node:http`/`node:https` with keep-alive agents, for the backend transports:
 * `McpBackendConnector` makes one per connector, and a front end that makes its own SDK
 * transports (the gateway's MCP 2026-07-28 relay, whose SDK v2 client sends the same kind of
 * requests) passes one as their `fetch`. Each call to this function makes new agents: share one
 * fetch per process part, not one per request.
 *
 * The global `fetch` (undici) costs several times the CPU per small request: it tees the body
 * of every request that may be redirected, builds web streams for both bodies, and leaves an
 * abort listener on the transport's long-lived signal per request until garbage collection.
 * This one writes the body straight to the socket and buffers a response before wrapping it in
 * a `Response` (a `text/event-stream` response is streamed instead).
 *
 * Kept after measuring undici as the replacement (issue 12, apps/gateway/bench/
 * backend-fetch.bench.ts: the real SDK client making tools/call against one JSON backend, 8
 * clients, 32 in flight, medians of 5 alternating rounds in one process, 2-core machine under
 * load): Node's global fetch reached 0.31x this one's throughput at 2.40x its CPU per call, and
 * undici 7's `fetch` with a keep-alive `Agent` dispatcher 0.46x at 1.69x; the bar was within 5%.
 * undici's `request` is no fetch: the SDK transport takes a fetch, so it would need an adapter
 * like this file.
 *
 * It serves only what the SDK transports send: `redirect: "manual"` (the SDK follows redirects
 * itself) with a string or byte body, over `http:` or `https:`. Any other request goes to the
 * global `fetch` unchanged. Like `fetch`, a network failure rejects with
 * `TypeError("fetch failed")` whose `cause` is the socket error, an abort rejects with the
 * signal's reason, and a 3xx is returned as it is. No compression is asked for; a compressed
 * response (gzip, deflate, br) is decompressed.
 */
export function createNodeHttpFetch(): FetchFunction {
  let http: HttpAgent | undefined;
  let https: HttpsAgent | undefined;
  return (input, init = {}) => {
    const url = typeof input === "string" ? new URL(input) : input;
    const body = init.body;
    const fast =
      init.redirect === "manual" &&
      (url.protocol === "http:" || url.protocol === "https:") &&
      (body === undefined ||
        body === null ||
        typeof body === "string" ||
        body instanceof Uint8Array);
    if (!fast) return fetch(input, init);
    const secure = url.protocol === "https:";
    let agent: HttpAgent;
    if (secure) {
      https ??= new HttpsAgent(AgentOptions);
      agent = https;
    } else {
      http ??= new HttpAgent(AgentOptions);
      agent = http;
    }
    return send(url, init, body ?? undefined, secure, agent);
  };
}

function send(
  url: URL,
  init: RequestInit,
  body: string | Uint8Array | undefined,
  secure: boolean,
  agent: HttpAgent,
): Promise<Response> {
  const signal = init.signal ?? undefined;
  if (signal?.aborted === true) return Promise.reject(signal.reason);
  return new Promise<Response>((resolve, reject) => {
    const request = (secure ? httpsRequest : httpRequest)(url, {
      method: init.method ?? "GET",
      // The active trace context (a backend call's client span) goes into the headers.
      headers: withPropagatedHeaders(headerRecord(init.headers)),
      agent,
    });
    let settled = false;
    const onAbort = () => request.destroy(signal?.reason as Error);
    const done = () => signal?.removeEventListener("abort", onAbort);
    // The SDK passes one signal for all of a connection's requests in flight; how many there are
    // is bounded by the session's concurrency limit, so Node's listener-leak warning is off for it.
    if (signal !== undefined) setMaxListeners(0, signal);
    signal?.addEventListener("abort", onAbort, { once: true });
    const fail = (error: unknown) => {
      done();
      if (settled) return;
      settled = true;
      reject(
        signal?.aborted === true ? signal.reason : new TypeError("fetch failed", { cause: error }),
      );
    };
    request.once("error", fail);
    request.setTimeout(IdleTimeoutMs, () => request.destroy(new Error("backend idle timeout")));
    request.once("response", (response) => {
      const status = response.statusCode ?? 0;
      const meta = {
        status,
        statusText: response.statusMessage ?? "",
        headers: responseHeaders(response.rawHeaders),
      };
      const decoded = decode(response);
      if (isEventStream(response.headers["content-type"]) && !NullBodyStatuses.has(status)) {
        settled = true;
        // The abort listener stays: aborting ends the stream, as with `fetch`.
        response.once("close", done);
        resolve(new Response(Readable.toWeb(decoded) as ReadableStream<Uint8Array>, meta));
        return;
      }
      const chunks: Buffer[] = [];
      decoded.on("data", (chunk: Buffer) => chunks.push(chunk));
      decoded.once("error", fail);
      decoded.once("close", () => fail(new Error("the response ended early")));
      decoded.once("end", () => {
        done();
        if (settled) return;
        settled = true;
        resolve(
          NullBodyStatuses.has(status)
            ? new Response(null, meta)
            : bufferedResponse(Buffer.concat(chunks), meta),
        );
      });
    });
    request.end(body);
  });
}

/**
 * A `Response` over a body already in memory. A `Response` built from bytes wraps them in a web
 * stream and `json()`/`text()` read them back through it, which costs more CPU than the rest of
 * a small backend call; this one answers `text()`, `json()`, `arrayBuffer()`, `bytes()` and
 * `blob()` from the bytes, once (a second read rejects with a `TypeError`, as `fetch`'s does).
 * Touching `body` (or `formData()`) hands the bytes to an ordinary `Response`, which then serves
 * every read. Status, headers and the rest are those of a real `Response`.
 */
function bufferedResponse(content: Buffer, meta: ResponseInit): Response {
  const response = new Response(null, meta);
  let used = false;
  let real: Response | undefined;
  const materialise = (): Response => {
    real ??= new Response(used ? null : content, meta);
    return real;
  };
  const take = (): Buffer => {
    if (used) throw new TypeError("Body is unusable: Body has already been read");
    used = true;
    return content;
  };
  const read = <T>(fast: (bytes: Buffer) => T, slow: (r: Response) => Promise<T>): Promise<T> => {
    if (real !== undefined) return slow(real);
    try {
      return Promise.resolve(fast(take()));
    } catch (error) {
      return Promise.reject(error);
    }
  };
  const text = (bytes: Buffer) => utf8.decode(bytes);
  Object.defineProperties(response, {
    body: { get: () => (used && real === undefined ? null : materialise().body) },
    bodyUsed: { get: () => (real === undefined ? used : real.bodyUsed) },
    text: { value: () => read(text, (r) => r.text()) },
    json: {
      value: () =>
        read(
          (bytes) => JSON.parse(text(bytes)) as unknown,
          (r) => r.json(),
        ),
    },
    arrayBuffer: {
      value: () =>
        read(
          (bytes) => new Uint8Array(bytes).buffer,
          (r) => r.arrayBuffer(),
        ),
    },
    bytes: {
      value: () =>
        read(
          (bytes) => new Uint8Array(bytes),
          (r) => r.arrayBuffer().then((b) => new Uint8Array(b)),
        ),
    },
    blob: {
      value: () =>
        read(
          (bytes) => new Blob([bytes], { type: response.headers.get("content-type") ?? "" }),
          (r) => r.blob(),
        ),
    },
    formData: { value: () => materialise().formData() },
    clone: {
      value: () => {
        if (real !== undefined) return real.clone();
        if (used) throw new TypeError("Response.clone: Body has already been consumed.");
        return bufferedResponse(content, meta);
      },
    },
  });
  return response;
}

function headerRecord(headers: RequestInit["headers"]): Record<string, string> {
  const record: Record<string, string> = {};
  if (headers === undefined) return record;
  const all = headers instanceof Headers ? headers : new Headers(headers);
  all.forEach((value, name) => {
    record[name] = value;
  });
  return record;
}

function responseHeaders(raw: readonly string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i];
    const value = raw[i + 1];
    if (name !== undefined && value !== undefined) headers.append(name, value);
  }
  return headers;
}

function isEventStream(contentType: string | undefined): boolean {
  return contentType !== undefined && /^\s*text\/event-stream\s*(;|$)/i.test(contentType);
}

/** The response body, decompressed when the backend compressed it anyway. */
function decode(response: IncomingMessage): Readable {
  const encoding = response.headers["content-encoding"]?.trim().toLowerCase();
  let decoder: Transform | undefined;
  if (encoding === "gzip" || encoding === "x-gzip") decoder = createGunzip();
  else if (encoding === "deflate") decoder = createInflate();
  else if (encoding === "br") decoder = createBrotliDecompress();
  if (decoder === undefined) return response;
  const sink = decoder;
  response.once("error", (error) => sink.destroy(error));
  return response.pipe(sink);
}
