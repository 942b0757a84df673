import { AsyncLocalStorage } from "node:async_hooks";
import type { PostResponse } from "../../responses/post-response.js";

/** One client request in flight on this replica. */
export interface InFlightRequest {
  readonly sessionId: string;
  /** The POST response that carries what belongs to the request (it may turn into a stream). */
  readonly response: PostResponse;
  /** `${typeof token}:${token}` of the client's progress token, when it sent one. */
  readonly tokenKey: string | undefined;
  /** `false` once {@link InFlightRequests.end} ran. */
  open: boolean;
}

/**
 * The client requests in flight on this replica, so that what a backend sends for one reaches
 * its POST response: a progress notification by the client's progress token, anything else by
 * the asynchronous context it arrives in (each request runs in its own, see {@link run}).
 */
export class InFlightRequests {
  readonly #scope = new AsyncLocalStorage<InFlightRequest>();
  /** Per session: the open requests that sent a progress token, by that token. */
  readonly #byToken = new Map<string, Map<string, InFlightRequest>>();

  /** Records a request of `sessionId` whose params are `params` (call {@link end} once it is answered). */
  begin(sessionId: string, params: unknown, response: PostResponse): InFlightRequest {
    const token = progressTokenOf(params);
    const request: InFlightRequest = {
      sessionId,
      response,
      tokenKey: token === undefined ? undefined : tokenKeyOf(token),
      open: true,
    };
    if (request.tokenKey !== undefined) {
      let tokens = this.#byToken.get(sessionId);
      if (tokens === undefined) {
        tokens = new Map();
        this.#byToken.set(sessionId, tokens);
      }
      tokens.set(request.tokenKey, request);
    }
    return request;
  }

  /** Runs `work` as `request`: what arrives in its asynchronous context is attributed to it. */
  run<T>(request: InFlightRequest, work: () => Promise<T>): Promise<T> {
    return this.#scope.run(request, work);
  }

  /** The request is answered; `false` when it had already ended. */
  end(request: InFlightRequest): boolean {
    if (!request.open) return false;
    request.open = false;
    const tokens = this.#byToken.get(request.sessionId);
    if (request.tokenKey !== undefined && tokens?.get(request.tokenKey) === request) {
      tokens.delete(request.tokenKey);
      if (tokens.size === 0) this.#byToken.delete(request.sessionId);
    }
    return true;
  }

  /** The open request of `sessionId` that sent the progress token `token`, if any. */
  byProgressToken(sessionId: string, token: unknown): InFlightRequest | undefined {
    return this.#byToken.get(sessionId)?.get(tokenKeyOf(token));
  }

  /** The open request of `sessionId` whose asynchronous context this runs in, if any. */
  attributed(sessionId: string): InFlightRequest | undefined {
    const request = this.#scope.getStore();
    return request?.open === true && request.sessionId === sessionId ? request : undefined;
  }
}

/** The key of a progress token: its type and its text (`1` and `"1"` are different tokens). */
function tokenKeyOf(token: unknown): string {
  return `${typeof token}:${String(token)}`;
}

function progressTokenOf(params: unknown): string | number | undefined {
  if (typeof params !== "object" || params === null) return undefined;
  const meta = (params as { _meta?: unknown })._meta;
  if (typeof meta !== "object" || meta === null) return undefined;
  const token = (meta as { progressToken?: unknown }).progressToken;
  return typeof token === "string" || typeof token === "number" ? token : undefined;
}
