import { rpcErrorOf } from "../../json-rpc/error-mapping.js";
import type { JsonRpcErrorBody } from "../../json-rpc/json-rpc.js";
import type { GatewayLogger } from "../../logger.js";
import type { RequestRouter } from "./router.js";
import { InvalidRequestParamsError } from "./router-errors.js";
import type { ServedSession } from "./session-service.js";

/** The outcome of one JSON-RPC request: a result or a JSON-RPC error. */
export type DispatchOutcome = { readonly result: unknown } | { readonly error: JsonRpcErrorBody };

/** Everything a dispatched request may use. */
export interface DispatchContext {
  readonly session: ServedSession;
  readonly signal: AbortSignal;
  readonly log: GatewayLogger;
  /** Finds each request's backend (see {@link RequestRouter}). */
  readonly router: RequestRouter;
}

/**
 * Serves one JSON-RPC request (other than `initialize`) from the session through the
 * {@link RequestRouter}: every request kind a backend may serve. Never throws: every failure
 * becomes a JSON-RPC error (see `rpcErrorOf`). A backend that fails is handled inside the session (session-core's `ManagedSession`): an expired backend
 * session is re-initialised, a backend gone for good leaves the session and its stored metadata,
 * and lists are served from the backends that remain.
 */
export async function dispatchRequest(
  method: string,
  params: unknown,
  ctx: DispatchContext,
): Promise<DispatchOutcome> {
  try {
    return { result: await route(method, params ?? {}, ctx) };
  } catch (error) {
    return { error: toRpcError(error, ctx) };
  }
}

async function route(method: string, params: unknown, ctx: DispatchContext): Promise<unknown> {
  if (!isPlainObject(params)) {
    throw new InvalidRequestParamsError("params must be an object");
  }
  return ctx.router.route(ctx.session, method, params, ctx.signal);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function toRpcError(error: unknown, ctx: DispatchContext): JsonRpcErrorBody {
  const { body, log } = rpcErrorOf(error, ctx.signal);
  if (log === "warn") {
    const workloadId = (error as { workloadId?: unknown }).workloadId;
    ctx.log.warn({ sessionId: ctx.session.id, workloadId, err: error }, "backend failed");
  } else if (log === "error") {
    ctx.log.error({ sessionId: ctx.session.id, err: error }, "request failed");
  }
  return body;
}
