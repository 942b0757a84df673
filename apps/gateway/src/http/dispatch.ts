import type { GatewayLogger } from "../logger.js";
import { RequestCancelledError } from "./cancellations.js";
import { InvalidCursorError } from "./cursor.js";
import { GatewayErrorCode, type JsonRpcErrorBody } from "./json-rpc.js";
import { type RequestRouter, RouterRefusal } from "./router.js";
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
 * {@link RequestRouter}: every request kind a backend may serve. Never throws: every failure becomes a JSON-RPC error. A backend
 * that fails is handled inside the session (session-core's `ManagedSession`): an expired backend
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
    throw new RpcFailure({
      code: GatewayErrorCode.InvalidParams,
      message: "invalid params: params must be an object",
    });
  }
  return ctx.router.route(ctx.session, method, params, ctx.signal);
}

class RpcFailure extends Error {
  readonly body: JsonRpcErrorBody;
  constructor(body: JsonRpcErrorBody) {
    super(body.message);
    this.body = body;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function toRpcError(error: unknown, ctx: DispatchContext): JsonRpcErrorBody {
  if (error instanceof RpcFailure) return error.body;
  if (error instanceof RouterRefusal) return { code: error.rpcCode, message: error.message };
  if (
    error instanceof RequestCancelledError ||
    ctx.signal.reason instanceof RequestCancelledError
  ) {
    const reason = ctx.signal.reason instanceof RequestCancelledError ? ctx.signal.reason : error;
    return {
      code: GatewayErrorCode.InternalError,
      message: (reason as Error).message,
      data: { code: "VMCP_REQUEST_CANCELLED" },
    };
  }
  if (error instanceof InvalidCursorError) {
    return {
      code: GatewayErrorCode.InvalidParams,
      message: error.message,
      data: { code: error.code },
    };
  }
  const code =
    typeof error === "object" && error !== null && "code" in error ? error.code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
    case "VMCP_UNKNOWN_TOOL":
    case "VMCP_UNKNOWN_RESOURCE":
    case "VMCP_UNKNOWN_PROMPT":
      return { code: GatewayErrorCode.InvalidParams, message, data: { code } };
    case "VMCP_BACKEND_UNAVAILABLE":
    case "VMCP_BACKEND_SESSION_EXPIRED": {
      const workloadId = (error as { workloadId?: unknown }).workloadId;
      ctx.log.warn({ sessionId: ctx.session.id, workloadId, err: error }, "backend failed");
      return { code: GatewayErrorCode.BackendUnavailable, message, data: { code, workloadId } };
    }
    case "VMCP_STORAGE_UNAVAILABLE":
      return { code: GatewayErrorCode.StoreUnavailable, message, data: { code } };
    case "VMCP_SESSION_BUSY":
      return { code: GatewayErrorCode.LimitExceeded, message, data: { code } };
  }
  if (typeof code === "number" && Number.isInteger(code)) {
    // A JSON-RPC error the backend returned (McpError): pass it through.
    const data = (error as { data?: unknown }).data;
    return data === undefined ? { code, message } : { code, message, data };
  }
  ctx.log.error({ sessionId: ctx.session.id, err: error }, "request failed");
  return { code: GatewayErrorCode.InternalError, message };
}
