/**
 * HTTP statuses the spec gives to errors a request's handler raises: SDK v2 answers any error a
 * handler throws in-band (HTTP 200, but -32021 as 400), while MCP 2026-07-28 wants some of them
 * as a refusal of the whole request (a `Mcp-Param-*` mismatch: 400 -32020, as the SDK's own check
 * answers it for an `McpServer`, which a low-level `Server` does not get). The handler records the
 * status for its web `Request` (the very object the SDK passes to the server factory as
 * `requestInfo`); the endpoint applies it to the SDK's response for that request. Held weakly: a
 * request's entry goes with it.
 */
export class RefusalStatuses {
  readonly #statuses = new WeakMap<Request, number>();

  /** Records that `request` must be answered with HTTP `status`. */
  set(request: Request, status: number): void {
    this.#statuses.set(request, status);
  }

  /**
   * The SDK's `response` to `request`, with the status recorded for it, if any (its headers and
   * body unchanged: the SDK's JSON-RPC error).
   */
  apply(request: Request, response: Response): Response {
    const status = this.#statuses.get(request);
    if (status === undefined || status === response.status) return response;
    this.#statuses.delete(request);
    return new Response(response.body, { status, headers: response.headers });
  }
}
