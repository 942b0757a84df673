import {
  type McpRequestContext,
  type McpServerFactory,
  ProtocolError,
  ProtocolErrorCode,
  Server,
  type ServerContext,
  type ServerOptions,
} from "@modelcontextprotocol/server";
import { z } from "zod";
import type { GatewayLogger } from "../../logger.js";
import { GatewayServerInfo } from "../../server-info.js";
import { mirrorMeta } from "./backends/mirrored-meta.js";
import type { ModernBackendSet, ModernBackends } from "./backends/modern-backends.js";
import { ownerOf } from "./caller-auth.js";
import { discoverInfo } from "./discover-info.js";
import { aggregateHint, type BackendHint } from "./lists/cache-hints.js";
import type { ListMethod } from "./lists/list-kinds.js";
import type { RefusalStatuses } from "./refusal-statuses.js";
import type { ModernRelay, ModernRequest } from "./relay/modern-relay.js";
import type { TaskRelay } from "./relay/task-relay.js";
import { wireErrorOf } from "./relay/wire-errors.js";
import { InvalidRequestStateError } from "./request-state/request-state-port.js";
import { declaresTasks, type TaskMethod } from "./tasks/tasks-extension.js";
import { traceModernRequest } from "./traced-request.js";

/** Options of {@link createServerFactory}. */
export interface ServerFactoryOptions {
  readonly backends: ModernBackends;
  readonly relay: ModernRelay;
  /** The tasks extension's relay; without it the gateway declares and serves no tasks. */
  readonly tasks?: TaskRelay;
  readonly log: GatewayLogger;
  /** Upper bound on the discover result's `ttlMs`, ms. */
  readonly ttlCapMs: number;
  /** Whether answers may depend on who asks (the gateway verifies identities). */
  readonly perCaller: boolean;
  /** Where a handler records the HTTP status of a refusal the SDK would answer in-band. */
  readonly refusals?: RefusalStatuses;
  /**
   * Adds to each request's backend set the backends it reaches otherwise (its caller's pooled
   * backend session: `LegacyBackends.extend`). Default: the modern backends only.
   */
  readonly extend?: (set: ModernBackendSet) => Promise<ModernBackendSet>;
}

type Handler = (
  params: Readonly<Record<string, unknown>>,
  request: ModernRequest,
) => Promise<unknown>;

/**
 * The per-request factory the SDK's `createMcpHandler` calls for every 2026-07-28 request: a
 * low-level SDK `Server` over the current modern backends, whose capabilities and instructions
 * (`discoverInfo`) are what `server/discover` answers (the SDK installs it), and whose handlers,
 * one per capability the backends offer, relay through the {@link ModernRelay}. The verified
 * caller arrives as the request's `authInfo` (see `authInfoOf`).
 *
 * `tools/call` is served by the SDK's fallback handler, not a registered one: the registered
 * wrapper validates every result as a `CallToolResult` and would refuse a task
 * (`resultType: "task"`), so the relay checks an `input_required` answer against the caller's
 * capabilities itself (`assertInputRequestsCovered`). When a backend declares the tasks
 * extension (and {@link ServerFactoryOptions.tasks} is given), `tasks/get` and `tasks/cancel`
 * are registered with a params schema (the SDK serves these two names on 2026-07-28 only so)
 * and `tasks/update` (no spec method) goes through the fallback too. The fallback is installed
 * for those two methods' requests only, so any other unknown method keeps the SDK's 404 -32601.
 *
 * Each handler runs inside the gateway's MCP server span (`traceModernRequest`), so its backend
 * calls are that span's children. What the SDK answers without a handler (`server/discover`, the
 * validation ladder's refusals, an unknown method's 404) gets no server span.
 */
export function createServerFactory(options: ServerFactoryOptions): McpServerFactory {
  // What discover says changes only with the backend set: computed once per set.
  let described: { key: string; info: ServerOptions } | undefined;
  const describe = (set: ModernBackendSet): ServerOptions => {
    if (described?.key !== set.key) {
      const { capabilities, instructions } = discoverInfo(set.backends);
      const hint = aggregateHint(
        // Each backend's own discover hint (on the wire, though the SDK's type leaves it out).
        set.backends.map((b) => b.discover as BackendHint),
        { capMs: options.ttlCapMs, perCaller: options.perCaller },
      );
      // Shared by every request's Server: frozen, so no instance can change it for the others.
      described = {
        key: set.key,
        info: deepFreeze({ capabilities, instructions, cacheHints: { "server/discover": hint } }),
      };
    }
    return described.info;
  };
  return async (context: McpRequestContext) => {
    const modern = await options.backends.current();
    const set = options.extend === undefined ? modern : await options.extend(modern);
    const info = describe(set);
    const capabilities = info.capabilities ?? {};
    const server = new Server(GatewayServerInfo, info);
    const owner = ownerOf(context.authInfo);
    const paramHeaders = paramHeadersOf(context.requestInfo);
    const answer = async (handler: Handler, params: unknown, ctx: ServerContext) => {
      try {
        const request: ModernRequest = {
          set,
          ...(owner === undefined ? {} : { owner }),
          meta: mirrorMeta(ctx.mcpReq as Parameters<typeof mirrorMeta>[0]),
          signal: ctx.mcpReq.signal,
          notify: (n) => ctx.mcpReq.notify(n as never),
          ...(paramHeaders === undefined ? {} : { paramHeaders }),
          ...(ctx.mcpReq.inputResponses === undefined
            ? {}
            : { inputResponses: ctx.mcpReq.inputResponses }),
          ...requestStateOf(ctx),
        };
        return (await handler((params ?? {}) as Record<string, unknown>, request)) as never;
      } catch (error) {
        const wire = wireErrorOf(error);
        if (wire.log === "error") options.log.error({ err: error }, "modern request failed");
        if (wire.httpStatus !== undefined && context.requestInfo !== undefined) {
          options.refusals?.set(context.requestInfo, wire.httpStatus);
        }
        throw wire.error;
      }
    };
    const serve = (handler: Handler) => (params: unknown, ctx: ServerContext) =>
      traceModernRequest(ctx, params, context.requestInfo, () => answer(handler, params, ctx));
    const { relay, tasks } = options;
    const list = (method: ListMethod) =>
      serve((params, request) => relay.list(method, params, request));
    const task = (method: TaskMethod) =>
      serve((params, request) => (tasks as TaskRelay).forward(method, params, request));
    const offersTasks = tasks !== undefined && declaresTasks(capabilities);
    if (capabilities.tools !== undefined) {
      server.setRequestHandler("tools/list", (r, ctx) => list("tools/list")(r.params, ctx));
    }
    // Installed only for the two methods it serves (the SDK's ladder has already checked that
    // `Mcp-Method` names the body's method): any other method keeps the SDK's own answer, 404
    // -32601, which a handler's thrown error (in-band, 200) would not give.
    const method = context.requestInfo?.headers.get("mcp-method");
    if (
      (method === "tools/call" && capabilities.tools !== undefined) ||
      (method === "tasks/update" && offersTasks)
    ) {
      server.fallbackRequestHandler = (r, ctx) => {
        if (r.method === "tools/call") return serve((p, q) => relay.callTool(p, q))(r.params, ctx);
        if (r.method === "tasks/update") return task("tasks/update")(r.params, ctx);
        throw new ProtocolError(ProtocolErrorCode.MethodNotFound, "Method not found");
      };
    }
    if (offersTasks) {
      const schemas = { params: z.looseObject({ taskId: z.string() }) };
      server.setRequestHandler("tasks/get", schemas, (p, ctx) => task("tasks/get")(p, ctx));
      server.setRequestHandler("tasks/cancel", schemas, (p, ctx) => task("tasks/cancel")(p, ctx));
    }
    if (capabilities.prompts !== undefined) {
      server.setRequestHandler("prompts/list", (r, ctx) => list("prompts/list")(r.params, ctx));
      server.setRequestHandler("prompts/get", (r, ctx) =>
        serve((p, q) => relay.getPrompt(p, q))(r.params, ctx),
      );
    }
    if (capabilities.resources !== undefined) {
      server.setRequestHandler("resources/list", (r, ctx) => list("resources/list")(r.params, ctx));
      server.setRequestHandler("resources/templates/list", (r, ctx) =>
        list("resources/templates/list")(r.params, ctx),
      );
      server.setRequestHandler("resources/read", (r, ctx) =>
        serve((p, q) => relay.readResource(p, q))(r.params, ctx),
      );
    }
    if (capabilities.completions !== undefined) {
      server.setRequestHandler("completion/complete", (r, ctx) =>
        serve((p, q) => relay.complete(p, q))(r.params, ctx),
      );
    }
    return server;
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** The `Mcp-Param-*` headers of the caller's request (lower-case names), forwarded to the backend. */
function paramHeadersOf(request: Request | undefined): Record<string, string> | undefined {
  if (request === undefined) return undefined;
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    if (name.startsWith("mcp-param-")) headers[name] = value;
  });
  return Object.keys(headers).length === 0 ? undefined : headers;
}

/**
 * The retry's `requestState`, verbatim.
 * @throws {InvalidRequestStateError} for one that is no string (the SDK's registered handlers
 *   refuse it so; `tools/call` goes through its fallback).
 */
function requestStateOf(ctx: ServerContext): { requestState?: string } {
  const state = ctx.mcpReq.requestState<unknown>();
  if (state === undefined) return {};
  if (typeof state !== "string") throw new InvalidRequestStateError("malformed", "not a string");
  return { requestState: state };
}
