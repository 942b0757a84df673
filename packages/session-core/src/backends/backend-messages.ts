/**
 * What a backend sends on its own, outside the results of the gateway's requests: notifications
 * (progress, log messages, `list_changed`, resource updates...) and server-to-client requests
 * (`sampling/createMessage`, `elicitation/create`, `roots/list`...). The connector hands each one
 * to a {@link BackendMessageHandler}, which the gateway implements to relay it to its client.
 */

/** Which session and backend a message came from. */
export interface BackendMessageOrigin {
  /** The client session (the gateway's `Mcp-Session-Id`) the backend connection belongs to. */
  readonly sessionId: string;
  /** The backend's workload ID. */
  readonly workloadId: string;
}

/** A JSON-RPC notification or request from a backend, without its `jsonrpc` and `id`. */
export interface BackendMessage {
  readonly method: string;
  readonly params?: Record<string, unknown>;
}

/**
 * Receives what backends send on their own. Progress notifications arrive through
 * `notification` as `notifications/progress` carrying the progress token the client sent with its
 * request (the connector maps the SDK's own token back), so they can be routed exactly.
 *
 * Attribution: each call runs in the asynchronous context of the gateway request it belongs to
 * when that is known, so an `AsyncLocalStorage` the gateway set around its request sees it there.
 * Over Streamable HTTP this is exact (the message came on that request's response stream). Over
 * stdio, which carries no such relation, the call runs in the context of the oldest request in
 * flight on that backend connection, or outside any request when none is.
 */
export interface BackendMessageHandler {
  /** A backend notification. Must not throw (an exception is ignored). */
  notification(origin: BackendMessageOrigin, message: BackendMessage): void;
  /**
   * A backend's server-to-client request. Resolves the result to send back; rejects with an error
   * carrying a numeric `code` (and optional `data`) to send a JSON-RPC error instead. `signal`
   * aborts when the backend cancels the request or the connection closes.
   */
  request(
    origin: BackendMessageOrigin,
    message: BackendMessage,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>>;
}

/** The progress fields of a `notifications/progress`, as the SDK hands them to `onprogress`. */
export interface BackendProgress {
  readonly progress: number;
  readonly total?: number | undefined;
  readonly message?: string | undefined;
}
