import type { ServerResponse } from "node:http";
import type { BackendMessage } from "@vmcp/session-core";
import { ifDefined } from "../../../if-defined.js";
import type { GatewayLogger } from "../../../logger.js";
import type { BusSubscriptions } from "./bus-subscriptions.js";
import { StreamConflictError } from "./relay-errors.js";
import { StandaloneStream } from "./standalone-stream.js";

/** Options of {@link GetStreams}. */
export interface GetStreamsOptions {
  /** Holds each open stream's bus subscription; carries notifications to wherever the stream is. */
  readonly subscriptions: BusSubscriptions;
  readonly log: GatewayLogger;
  /** Heartbeat period of every stream, ms. */
  readonly heartbeatMs: number;
  /** Socket buffer bound of every stream, bytes. Default: the SSE writer's (1 MiB). */
  readonly maxStreamBufferBytes?: number | undefined;
}

/**
 * Each session's `GET /mcp` stream on this replica (at most one), and the way to it from any
 * replica: a notification for the stream is published on the session's bus channel and written
 * by the replica that holds the stream. A newer stream on another replica ends the one here.
 */
export class GetStreams {
  readonly #subscriptions: BusSubscriptions;
  readonly #log: GatewayLogger;
  readonly #heartbeatMs: number;
  readonly #maxStreamBufferBytes: number | undefined;
  readonly #streams = new Map<string, StandaloneStream>();

  constructor(options: GetStreamsOptions) {
    this.#subscriptions = options.subscriptions;
    this.#log = options.log;
    this.#heartbeatMs = options.heartbeatMs;
    this.#maxStreamBufferBytes = options.maxStreamBufferBytes;
  }

  /** The session's stream on this replica while it can carry messages. */
  live(sessionId: string): StandaloneStream | undefined {
    const stream = this.#streams.get(sessionId);
    return stream?.live === true ? stream : undefined;
  }

  /**
   * Opens the session's stream on `res` and announces it, so that an older stream on another
   * replica ends. `keepAlive` runs at each heartbeat; `false` (the session is gone) ends it.
   * @throws {StreamConflictError} when this replica already holds a live stream for the session.
   */
  async open(
    sessionId: string,
    res: ServerResponse,
    headers: Readonly<Record<string, string>>,
    keepAlive?: () => Promise<boolean>,
  ): Promise<void> {
    if (this.live(sessionId) !== undefined) throw new StreamConflictError(sessionId);
    const channel = this.#subscriptions.retain(sessionId);
    let released = false;
    const onHeartbeat =
      keepAlive === undefined
        ? undefined
        : () => {
            keepAlive().then(
              (alive) => {
                if (!alive) stream.end();
              },
              () => undefined, // a store outage is not the session's end
            );
          };
    const stream = new StandaloneStream(res, {
      headers,
      heartbeatMs: this.#heartbeatMs,
      ...ifDefined("maxBufferedBytes", this.#maxStreamBufferBytes),
      ...ifDefined("onHeartbeat", onHeartbeat),
      onEnd: () => {
        if (this.#streams.get(sessionId) === stream) this.#streams.delete(sessionId);
        if (!released) {
          released = true;
          this.#subscriptions.release(sessionId);
        }
      },
    });
    this.#streams.set(sessionId, stream);
    await channel.subscription;
    await this.#subscriptions
      .publish(sessionId, { kind: "stream-open", holder: stream.holder })
      .catch((error: unknown) =>
        this.#log.warn({ sessionId, err: error }, "could not announce a GET stream"),
      );
  }

  /** Sends `message` to the session's stream, wherever it is open (over the bus). Never throws. */
  notify(sessionId: string, message: BackendMessage): void {
    void this.#subscriptions
      .publish(sessionId, {
        kind: "notify",
        message: message.params === undefined ? { method: message.method } : message,
      })
      .catch((error: unknown) =>
        this.#log.warn({ sessionId, err: error }, "could not publish a notification"),
      );
  }

  /** The session was deleted: its stream ends, here and on every replica. */
  async terminated(sessionId: string): Promise<void> {
    this.#streams.get(sessionId)?.end();
    await this.#subscriptions.publish(sessionId, { kind: "terminated" }).catch(() => undefined);
  }

  /** The streams open on this replica. */
  count(): number {
    let count = 0;
    for (const stream of this.#streams.values()) if (stream.live) count++;
    return count;
  }

  /** Ends every stream on this replica. */
  endAll(): void {
    for (const stream of [...this.#streams.values()]) stream.end();
  }

  /** A `notify` from the bus: written when the stream is here. */
  onNotify(sessionId: string, message: { method: string; params?: unknown }): void {
    this.#streams.get(sessionId)?.notify(message);
  }

  /** A `deliver` from the bus: written, and acknowledged, when the stream is here. */
  onDeliver(sessionId: string, message: Record<string, unknown>, ack: string): void {
    if (this.#streams.get(sessionId)?.deliver(message) === true) {
      void this.#subscriptions
        .publish(sessionId, { kind: "answer-ack", ack })
        .catch(() => undefined);
    }
  }

  /** A `stream-open` from the bus: a stream here that is not the announced one ends. */
  onStreamOpen(sessionId: string, holder: string): void {
    const stream = this.#streams.get(sessionId);
    if (stream !== undefined && stream.holder !== holder) stream.end();
  }

  /** A `terminated` from the bus: the stream here ends. */
  onTerminated(sessionId: string): void {
    this.#streams.get(sessionId)?.end();
  }
}
