import {
  CallToolRequestParamsSchema,
  GetPromptRequestParamsSchema,
  ReadResourceRequestParamsSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { ErrorCode, errorCodeOf } from "@vmcp/session-core";
import type { GatewayLogger } from "../logger.js";
import { GatewayErrorCode, type JsonRpcErrorBody } from "./json-rpc.js";
import type { ServedSession } from "./session-service.js";

/** The outcome of one JSON-RPC request: a result or a JSON-RPC error. */
export type DispatchOutcome = { readonly result: unknown } | { readonly error: JsonRpcErrorBody };

/** Everything a dispatched request may use. */
export interface DispatchContext {
  readonly session: ServedSession;
  readonly signal: AbortSignal;
  readonly log: GatewayLogger;
}

/**
 * Serves one JSON-RPC request (other than `initialize`) from the session: `ping`, `tools/*`,
 * `resources/*`, `prompts/*`. Never throws: every failure becomes a JSON-RPC error. A backend
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
  const { session } = ctx;
  switch (method) {
    case "ping":
      return {};
    case "tools/list":
      return { tools: await session.listTools() };
    case "tools/call": {
      const p = plainCallToolParams(params) ?? parse(CallToolRequestParamsSchema, params);
      return session.callTool(p.name, p.arguments, { signal: ctx.signal });
    }
    case "resources/list":
      return { resources: await session.listResources() };
    case "resources/templates/list":
      return { resourceTemplates: [] };
    case "resources/read": {
      const p = parse(ReadResourceRequestParamsSchema, params);
      return session.readResource(p.uri);
    }
    case "prompts/list":
      return { prompts: await session.listPrompts() };
    case "prompts/get": {
      const p = parse(GetPromptRequestParamsSchema, params);
      return session.getPrompt(p.name, p.arguments);
    }
    default:
      throw new RpcFailure({
        code: GatewayErrorCode.MethodNotFound,
        message: `method not found: ${method}`,
      });
  }
}

class RpcFailure extends Error {
  readonly body: JsonRpcErrorBody;
  constructor(body: JsonRpcErrorBody) {
    super(body.message);
    this.body = body;
  }
}

interface SafeParser<T> {
  safeParse(
    value: unknown,
  ): { success: true; data: T } | { success: false; error: { message: string } };
}

function parse<T>(schema: SafeParser<T>, params: unknown): T {
  const parsed = schema.safeParse(params);
  if (!parsed.success) {
    throw new RpcFailure({
      code: GatewayErrorCode.InvalidParams,
      message: `invalid params: ${parsed.error.message}`,
    });
  }
  return parsed.data;
}

/**
 * The params of a plain `tools/call` (`name`, and `arguments` when given, nothing else) without
 * running the SDK's zod schema, which accepts exactly these too: the common request skips the
 * schema's CPU. `undefined` for anything else, which the schema then parses (and refuses with
 * its own message).
 */
function plainCallToolParams(
  params: unknown,
): { name: string; arguments?: Record<string, unknown> } | undefined {
  if (!isPlainObject(params)) return undefined;
  let keys = 0;
  for (const key in params) {
    if (key !== "name" && key !== "arguments") return undefined;
    keys++;
  }
  const { name, arguments: args } = params;
  if (typeof name !== "string") return undefined;
  if (args === undefined) return keys === 1 ? { name } : undefined;
  return isPlainObject(args) ? { name, arguments: args } : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function toRpcError(error: unknown, ctx: DispatchContext): JsonRpcErrorBody {
  if (error instanceof RpcFailure) return error.body;
  const code = errorCodeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
    case ErrorCode.UnknownTool:
    case ErrorCode.UnknownResource:
    case ErrorCode.UnknownPrompt:
      return { code: GatewayErrorCode.InvalidParams, message, data: { code } };
    case ErrorCode.BackendUnavailable:
    case ErrorCode.BackendSessionExpired: {
      const workloadId = (error as { workloadId?: unknown }).workloadId;
      ctx.log.warn({ sessionId: ctx.session.id, workloadId, err: error }, "backend failed");
      return { code: GatewayErrorCode.BackendUnavailable, message, data: { code, workloadId } };
    }
    case ErrorCode.StorageUnavailable:
      return { code: GatewayErrorCode.StoreUnavailable, message, data: { code } };
    case ErrorCode.SessionBusy:
      return { code: GatewayErrorCode.LimitExceeded, message, data: { code } };
    case ErrorCode.StorageScript:
      ctx.log.error({ sessionId: ctx.session.id, err: error }, "session store script failed");
      return { code: GatewayErrorCode.InternalError, message, data: { code } };
  }
  const rpcCode = (error as { code?: unknown } | null)?.code;
  if (typeof rpcCode === "number" && Number.isInteger(rpcCode)) {
    // A JSON-RPC error the backend returned (McpError): pass it through.
    const data = (error as { data?: unknown }).data;
    return data === undefined ? { code: rpcCode, message } : { code: rpcCode, message, data };
  }
  ctx.log.error({ sessionId: ctx.session.id, err: error }, "request failed");
  return { code: GatewayErrorCode.InternalError, message };
}
