import {
  CallToolRequestParamsSchema,
  GetPromptRequestParamsSchema,
  ReadResourceRequestParamsSchema,
} from "@modelcontextprotocol/sdk/types.js";
import type { GatewayLogger } from "../logger.js";
import { GatewayErrorCode, type JsonRpcErrorBody } from "./json-rpc.js";
import type { ServedSession, SessionService } from "./session-service.js";

/** The outcome of one JSON-RPC request: a result or a JSON-RPC error. */
export type DispatchOutcome = { readonly result: unknown } | { readonly error: JsonRpcErrorBody };

/** Everything a dispatched request may use. */
export interface DispatchContext {
  readonly session: ServedSession;
  readonly sessions: SessionService;
  readonly signal: AbortSignal;
  readonly log: GatewayLogger;
}

/**
 * Serves one JSON-RPC request (other than `initialize`) from the session: `ping`, `tools/*`,
 * `resources/*`, `prompts/*`. Never throws: every failure becomes a JSON-RPC error, and a backend
 * that failed (lost connection or expired session) is dropped from the session and its metadata.
 */
export async function dispatchRequest(
  method: string,
  params: unknown,
  ctx: DispatchContext,
): Promise<DispatchOutcome> {
  // A backend that fails while a list is gathered is dropped, and the list is served from the
  // backends that remain (one retry per failed backend).
  const retriesLeft = method.endsWith("/list") ? 4 : 0;
  for (let attempt = 0; ; attempt++) {
    try {
      return { result: await route(method, params ?? {}, ctx) };
    } catch (error) {
      const body = await toRpcError(error, ctx);
      if (body.code !== GatewayErrorCode.BackendUnavailable || attempt >= retriesLeft)
        return { error: body };
    }
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
      const p = parse(CallToolRequestParamsSchema, params);
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

async function toRpcError(error: unknown, ctx: DispatchContext): Promise<JsonRpcErrorBody> {
  if (error instanceof RpcFailure) return error.body;
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
      if (typeof workloadId === "string") {
        ctx.log.warn(
          { sessionId: ctx.session.id, workloadId, err: error },
          "backend failed; dropping it from the session",
        );
        await ctx.sessions
          .removeBackend(ctx.session.id, workloadId)
          .catch((removeError: unknown) => {
            ctx.log.error(
              { sessionId: ctx.session.id, workloadId, err: removeError },
              "could not drop the backend",
            );
          });
      }
      return { code: GatewayErrorCode.BackendUnavailable, message, data: { code, workloadId } };
    }
    case "VMCP_STORAGE_UNAVAILABLE":
      return { code: GatewayErrorCode.StoreUnavailable, message, data: { code } };
  }
  if (typeof code === "number" && Number.isInteger(code)) {
    // A JSON-RPC error the backend returned (McpError): pass it through.
    const data = (error as { data?: unknown }).data;
    return data === undefined ? { code, message } : { code, message, data };
  }
  ctx.log.error({ sessionId: ctx.session.id, err: error }, "request failed");
  return { code: GatewayErrorCode.InternalError, message };
}
