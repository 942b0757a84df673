import { VmcpSessionError } from "@vmcp/session-keys";
import { ErrorCode } from "../../../error-codes.js";

/** The reason a request's signal is aborted with when the client cancels it. */
export class RequestCancelledError extends VmcpSessionError {
  readonly code = ErrorCode.RequestCancelled;
  constructor(reason: string | undefined) {
    super(`request cancelled by the client${reason === undefined ? "" : `: ${reason}`}`);
  }
}

/**
 * The requests in flight on this replica, by session and JSON-RPC ID, so that a client's
 * `notifications/cancelled` (sent in a later POST) aborts the request it names: the backend
 * request is then cancelled too (the SDK client sends the backend its own
 * `notifications/cancelled`). A cancellation for a request this replica does not hold is ignored,
 * as the spec allows.
 */
export class Cancellations {
  readonly #inFlight = new Map<string, AbortController>();

  /**
   * A signal for request `id` of `sessionId` that aborts when `parent` does or the client cancels
   * the request; call `done()` once it is answered.
   *
   * The signal is a plain one, linked to `parent` by a listener that `done()` removes, not
   * `AbortSignal.any`: Node keeps a composite signal alive for as long as it has an `abort`
   * listener, and the MCP SDK never removes the one it adds per request, so every request's
   * signal, and all its listener reached (the POST's response included), stayed in memory.
   */
  begin(
    sessionId: string,
    id: string | number,
    parent: AbortSignal,
  ): { signal: AbortSignal; done: () => void } {
    const key = keyOf(sessionId, id);
    const own = new AbortController();
    const follow = () => own.abort(parent.reason);
    if (parent.aborted) follow();
    else parent.addEventListener("abort", follow, { once: true });
    this.#inFlight.set(key, own);
    return {
      signal: own.signal,
      done: () => {
        parent.removeEventListener("abort", follow);
        if (this.#inFlight.get(key) === own) this.#inFlight.delete(key);
      },
    };
  }

  /** Aborts request `requestId` of `sessionId` when it is in flight here; `true` when it was. */
  cancel(sessionId: string, requestId: unknown, reason: unknown): boolean {
    if (typeof requestId !== "string" && typeof requestId !== "number") return false;
    const own = this.#inFlight.get(keyOf(sessionId, requestId));
    if (own === undefined) return false;
    own.abort(new RequestCancelledError(typeof reason === "string" ? reason : undefined));
    return true;
  }
}

function keyOf(sessionId: string, id: string | number): string {
  return `${sessionId}\n${typeof id}\n${String(id)}`;
}
