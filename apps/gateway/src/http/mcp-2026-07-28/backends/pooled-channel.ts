import type { Notification } from "@modelcontextprotocol/server";
import type { MirroredMeta } from "./mirrored-meta.js";

/** What one call through a {@link PooledChannel} carries from the caller's request. */
export interface PooledCallRequest {
  /** The caller's `_meta`, mirrored (see `mirrorMeta`). */
  readonly meta: MirroredMeta;
  /** The caller's disconnect: aborting it cancels the backend request. */
  readonly signal: AbortSignal;
  /** Sends a notification on the caller's response (its SSE stream). */
  readonly notify: (notification: Notification) => Promise<void>;
  /** Bound on the call, ms, reset by each progress notification. */
  readonly timeoutMs: number;
}

/**
 * How one 2026-07-28 request reaches a 2025-era (or stdio) backend: through the caller's pooled
 * backend session (see `pool/`). Sends one request and resolves the backend's result.
 */
export interface PooledChannel {
  call(
    method: string,
    params: Readonly<Record<string, unknown>>,
    request: PooledCallRequest,
  ): Promise<Record<string, unknown>>;
}

/**
 * The key under which a {@link PooledChannel} result of kind `input_required` names the parked
 * call its retry resumes (a `ParkedCallRoute`: holding replica and call ID). A symbol, so it never
 * reaches the wire: the relay seals it into the gateway's `requestState`.
 */
export const ParkedRouteKey: unique symbol = Symbol("vmcp.parked-route");
