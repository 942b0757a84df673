/**
 * A `subscriptions/listen` stream read straight off the wire (MCP 2026-07-28): one POST, and
 * every SSE frame it carries recorded as it arrives, keepalive comments included, which an SDK
 * client does not show.
 */

/** The revision the request claims. */
const Revision = "2026-07-28";

/** What a listen request asks for (the spec's `SubscriptionFilter`). */
export interface ListenFilter {
  readonly toolsListChanged?: boolean;
  readonly promptsListChanged?: boolean;
  readonly resourcesListChanged?: boolean;
  readonly resourceSubscriptions?: readonly string[];
}

/** A notification that came on the stream. */
export interface ListenNotification {
  readonly method: string;
  readonly params: Record<string, unknown>;
  /** When it was read, `process.hrtime.bigint()` ns (the machine's monotonic clock). */
  readonly receivedAtNs: bigint;
}

/** A JSON-RPC error the server answered instead of a stream (or ended it with). */
export interface ListenError {
  readonly code: number;
  readonly message: string;
}

/** An open (or refused) listen request. */
export interface ListenStream {
  /** The HTTP status of the answer. */
  readonly status: number;
  /** The in-band error, when the server refused the subscription. */
  readonly refusal: ListenError | undefined;
  /** The honoured filter of `notifications/subscriptions/acknowledged`, once it came. */
  readonly acknowledged: Record<string, unknown> | undefined;
  /** Every notification after the acknowledgement, in arrival order. */
  readonly notifications: readonly ListenNotification[];
  /** How many `: keepalive` comments came. */
  readonly keepalives: number;
  /** Whether the stream has ended (by either side). */
  readonly ended: boolean;
  /** Methods of the notifications so far; with `uri` for `notifications/resources/updated`. */
  kinds(): string[];
  /** Aborts the request; resolves once the body is no longer read. Idempotent. */
  close(): Promise<void>;
}

/** Options of {@link openListenStream}. */
export interface ListenOptions {
  /** The JSON-RPC ID of the listen request (the subscription ID). Default `"listen-1"`. */
  readonly id?: string | number;
  /** Called with each notification as it is read (for timing). */
  readonly onNotification?: (notification: ListenNotification) => void;
}

/**
 * Sends `subscriptions/listen` to `url` and resolves once the server answered: with the
 * acknowledgement read (the server has registered the subscription by then), or with the
 * refusal when it answered a JSON error instead of a stream.
 * @throws {Error} when the answer is neither, or the stream ends before its acknowledgement.
 */
export async function openListenStream(
  url: string,
  filter: ListenFilter,
  options: ListenOptions = {},
): Promise<ListenStream> {
  const abort = new AbortController();
  const response = await fetch(url, {
    method: "POST",
    signal: abort.signal,
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": Revision,
      "mcp-method": "subscriptions/listen",
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: options.id ?? "listen-1",
      method: "subscriptions/listen",
      params: {
        _meta: {
          "io.modelcontextprotocol/protocolVersion": Revision,
          "io.modelcontextprotocol/clientCapabilities": {},
          "io.modelcontextprotocol/clientInfo": { name: "listen-stream", version: "1.0.0" },
        },
        notifications: filter,
      },
    }),
  });
  const state = new StreamState(response.status, abort);
  const type = response.headers.get("content-type") ?? "";
  if (!type.startsWith("text/event-stream")) {
    const body = (await response.json()) as { error?: ListenError };
    if (body.error === undefined) {
      throw new Error(`listen answered ${response.status} without a stream or an error`);
    }
    state.refuse(body.error);
    return state;
  }
  const body = response.body;
  if (body === null) throw new Error("listen answered a stream without a body");
  state.read(body, options.onNotification);
  await state.acknowledgement;
  return state;
}

class StreamState implements ListenStream {
  readonly status: number;
  refusal: ListenError | undefined;
  acknowledged: Record<string, unknown> | undefined;
  readonly notifications: ListenNotification[] = [];
  keepalives = 0;
  ended = false;
  readonly acknowledgement: Promise<void>;
  readonly #abort: AbortController;
  #reading: Promise<void> = Promise.resolve();
  #acknowledge: (error?: Error) => void = () => undefined;

  constructor(status: number, abort: AbortController) {
    this.status = status;
    this.#abort = abort;
    this.acknowledgement = new Promise((resolve, reject) => {
      this.#acknowledge = (error) => (error === undefined ? resolve() : reject(error));
    });
  }

  refuse(error: ListenError): void {
    this.refusal = error;
    this.ended = true;
  }

  kinds(): string[] {
    return this.notifications.map(({ method, params }) =>
      method === "notifications/resources/updated" ? `${method} ${String(params.uri)}` : method,
    );
  }

  read(body: ReadableStream<Uint8Array>, onNotification?: (n: ListenNotification) => void): void {
    this.#reading = (async () => {
      const decoder = new TextDecoder();
      let buffer = "";
      try {
        for await (const chunk of body) {
          buffer += decoder.decode(chunk, { stream: true });
          let end = buffer.indexOf("\n\n");
          while (end !== -1) {
            this.#frame(buffer.slice(0, end), onNotification);
            buffer = buffer.slice(end + 2);
            end = buffer.indexOf("\n\n");
          }
        }
      } catch {
        // Aborted by close(), or the server went away: the stream has ended either way.
      } finally {
        this.ended = true;
        this.#acknowledge(new Error("the listen stream ended before its acknowledgement"));
      }
    })();
  }

  async close(): Promise<void> {
    this.#abort.abort();
    await this.#reading;
  }

  #frame(frame: string, onNotification?: (n: ListenNotification) => void): void {
    const receivedAtNs = process.hrtime.bigint();
    const data: string[] = [];
    for (const line of frame.split("\n")) {
      if (line.startsWith(":")) {
        if (line.slice(1).trim() === "keepalive") this.keepalives++;
      } else if (line.startsWith("data:")) {
        data.push(line.slice(5).trimStart());
      }
    }
    if (data.length === 0) return;
    const message = JSON.parse(data.join("\n")) as {
      method?: string;
      params?: Record<string, unknown>;
      error?: ListenError;
    };
    if (message.method === "notifications/subscriptions/acknowledged") {
      this.acknowledged = (message.params?.notifications ?? {}) as Record<string, unknown>;
      this.#acknowledge();
      return;
    }
    if (message.error !== undefined) this.refusal = message.error;
    if (message.method === undefined) return;
    const notification = { method: message.method, params: message.params ?? {}, receivedAtNs };
    this.notifications.push(notification);
    onNotification?.(notification);
  }
}
