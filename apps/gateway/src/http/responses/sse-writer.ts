import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";

/** Default bound on what may wait unsent in one SSE stream's socket buffer, bytes: 1 MiB. */
export const DefaultMaxStreamBufferBytes = 1_048_576;

/** The `retry` (ms) sent first on every stream: how long a client waits before reconnecting. */
export const SseRetryMs = 1_000;

/** Options of {@link SseWriter}. */
export interface SseWriterOptions {
  /** Extra response headers (e.g. `mcp-session-id`). */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Most bytes waiting unsent in the socket buffer; a stream whose client reads slower is closed
   * (the client may reconnect) rather than buffered without bound. Default
   * {@link DefaultMaxStreamBufferBytes}.
   */
  readonly maxBufferedBytes?: number;
}

/**
 * One `text/event-stream` response: each JSON-RPC message is one `message` event with an ID
 * unique within the session (a random stream prefix and a sequence number). The stream opens with
 * a `retry` field. Events are not stored, so `Last-Event-ID` resumption is not offered.
 */
export class SseWriter {
  readonly #res: ServerResponse;
  readonly #prefix = randomBytes(9).toString("base64url");
  readonly #maxBuffered: number;
  #seq = 0;

  constructor(res: ServerResponse, options: SseWriterOptions = {}) {
    this.#res = res;
    this.#maxBuffered = options.maxBufferedBytes ?? DefaultMaxStreamBufferBytes;
    res.writeHead(200, {
      ...options.headers,
      "content-type": "text/event-stream",
      "cache-control": "no-cache, no-transform",
      "x-accel-buffering": "no",
    });
    res.write(`retry: ${SseRetryMs}\n\n`);
  }

  /** Whether events can still be written. */
  get open(): boolean {
    return !this.#res.destroyed && !this.#res.writableEnded;
  }

  /** Writes one message event; `false` when the stream is closed (or was closed for being too slow). */
  send(message: unknown): boolean {
    if (!this.open) return false;
    this.#seq++;
    this.#res.write(
      `id: ${this.#prefix}-${this.#seq}\nevent: message\ndata: ${JSON.stringify(message)}\n\n`,
    );
    return this.#checkBuffer();
  }

  /** Writes a comment line (a heartbeat). */
  comment(text: string): boolean {
    if (!this.open) return false;
    this.#res.write(`: ${text}\n\n`);
    return this.#checkBuffer();
  }

  /** Ends the stream. Idempotent. */
  end(): void {
    if (this.open) this.#res.end();
  }

  #checkBuffer(): boolean {
    if (this.#res.writableLength <= this.#maxBuffered) return true;
    this.#res.destroy();
    return false;
  }
}
