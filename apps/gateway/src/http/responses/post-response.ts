import type { ServerResponse } from "node:http";
import { ifDefined } from "../../if-defined.js";
import { sendJson } from "./send-json.js";
import { SseWriter } from "./sse-writer.js";

/**
 * The response of one POST carrying requests: plain JSON unless a backend sends a request-scoped
 * message (progress, a log message, a server-to-client request) before the responses are ready;
 * then it becomes an SSE stream carrying those messages in order and then every response of the
 * POST (each entry of a batch as its own event), and ends. A client that does not accept
 * `text/event-stream` always gets JSON: nothing is delivered ahead of it.
 */
export class PostResponse {
  readonly #res: ServerResponse;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #maxBufferedBytes: number | undefined;
  readonly #canStream: boolean;
  #sse: SseWriter | undefined;
  #finished = false;

  constructor(
    res: ServerResponse,
    headers: Readonly<Record<string, string>>,
    canStream: boolean,
    maxBufferedBytes?: number,
  ) {
    this.#canStream = canStream;
    this.#res = res;
    this.#headers = headers;
    this.#maxBufferedBytes = maxBufferedBytes;
  }

  /** Whether a message can still reach the client on this response. */
  get live(): boolean {
    return !this.#finished && !this.#res.destroyed && (this.#sse?.open ?? true);
  }

  /** Whether a message sent ahead of the responses would reach the client (the client accepts SSE). */
  get streamable(): boolean {
    return this.#canStream && this.live;
  }

  /** Whether the response turned into an SSE stream. */
  get streaming(): boolean {
    return this.#sse !== undefined;
  }

  /** Sends one message ahead of the responses, switching to SSE; `false` when it cannot be delivered. */
  deliver(message: unknown): boolean {
    if (!this.streamable) return false;
    this.#sse ??= new SseWriter(this.#res, {
      headers: this.#headers,
      ...ifDefined("maxBufferedBytes", this.#maxBufferedBytes),
    });
    return this.#sse.send(message);
  }

  /** Sends the final response(s) (`body` is one response, or the array of a batch) and ends. */
  finish(body: unknown): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#sse === undefined) {
      if (!this.#res.destroyed) sendJson(this.#res, 200, body, this.#headers);
      return;
    }
    for (const message of Array.isArray(body) ? body : [body]) this.#sse.send(message);
    this.#sse.end();
  }
}
