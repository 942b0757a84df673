import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import { ifDefined } from "../../../if-defined.js";
import { SseWriter } from "../../responses/sse-writer.js";

/** Default period of the heartbeat comments on a `GET /mcp` stream, ms: 15 s. */
export const DefaultHeartbeatMs = 15_000;

/**
 * How long list_changed notifications are gathered before one of each kind is written, ms:
 * several backends changing their lists at once reach the client as one notification.
 */
export const ListChangedCoalesceMs = 50;

const listChanged = new Set([
  "notifications/tools/list_changed",
  "notifications/prompts/list_changed",
  "notifications/resources/list_changed",
]);

/** Whether `method` is one of the three `list_changed` notifications. */
export function isListChanged(method: string): boolean {
  return listChanged.has(method);
}

/** Options of {@link StandaloneStream}. */
export interface StandaloneStreamOptions {
  readonly headers: Readonly<Record<string, string>>;
  /** Heartbeat comment period, ms. */
  readonly heartbeatMs: number;
  /** Socket buffer bound, bytes (see `SseWriter`). */
  readonly maxBufferedBytes?: number;
  /** Called once when the stream ends, for whatever reason. */
  readonly onEnd: () => void;
  /** Called after each heartbeat (e.g. to keep the session alive while the stream is open). */
  readonly onHeartbeat?: () => void;
}

/**
 * A session's `GET /mcp` stream on this replica: the backends' unsolicited notifications
 * (`list_changed` coalesced per kind, resource updates, log messages of no request) and
 * server-to-client requests of no request, with heartbeat comments. `holder` names it on the bus,
 * so that a newer stream on another replica can end it.
 */
export class StandaloneStream {
  /** A random name of this stream (in `stream-open` bus messages). */
  readonly holder = randomUUID();
  readonly #writer: SseWriter;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #pending = new Set<string>();
  #flush: NodeJS.Timeout | undefined;
  #ended = false;
  readonly #onEnd: () => void;

  constructor(res: ServerResponse, options: StandaloneStreamOptions) {
    this.#onEnd = options.onEnd;
    this.#writer = new SseWriter(res, {
      headers: options.headers,
      ...ifDefined("maxBufferedBytes", options.maxBufferedBytes),
    });
    this.#heartbeat = setInterval(() => {
      if (!this.#writer.comment("heartbeat")) this.end();
      else options.onHeartbeat?.();
    }, options.heartbeatMs);
    this.#heartbeat.unref();
    res.once("close", () => this.end());
  }

  /** Whether the stream can still carry messages. */
  get live(): boolean {
    return !this.#ended && this.#writer.open;
  }

  /** Writes a JSON-RPC message; `false` when the stream is gone. */
  deliver(message: unknown): boolean {
    if (!this.live) return false;
    if (this.#writer.send(message)) return true;
    this.end();
    return false;
  }

  /** A notification for the client: `list_changed` is coalesced per kind, anything else written at once. */
  notify(message: { method: string; params?: unknown }): void {
    if (!isListChanged(message.method)) {
      this.deliver({ jsonrpc: "2.0", ...message });
      return;
    }
    this.#pending.add(message.method);
    this.#flush ??= setTimeout(() => {
      this.#flush = undefined;
      for (const method of this.#pending) this.deliver({ jsonrpc: "2.0", method });
      this.#pending.clear();
    }, ListChangedCoalesceMs);
  }

  /** Ends the stream (session deleted, replica closing, a newer stream elsewhere). Idempotent. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    clearInterval(this.#heartbeat);
    clearTimeout(this.#flush);
    this.#writer.end();
    this.#onEnd();
  }
}
