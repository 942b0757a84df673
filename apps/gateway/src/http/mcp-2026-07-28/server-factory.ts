import {
  type McpRequestContext,
  type McpServerFactory,
  Server,
  type ServerContext,
  type ServerOptions,
} from "@modelcontextprotocol/server";
import type { GatewayLogger } from "../../logger.js";
import { GatewayServerInfo } from "../../server-info.js";
import { aggregateHint, type BackendHint } from "./cache-hints.js";
import { ownerOf } from "./caller-auth.js";
import { discoverInfo } from "./discover-info.js";
import type { ListMethod } from "./list-kinds.js";
import { mirrorMeta } from "./mirrored-meta.js";
import type { ModernBackendSet, ModernBackends } from "./modern-backends.js";
import type { ModernRelay, ModernRequest } from "./modern-relay.js";
import { wireErrorOf } from "./wire-errors.js";

/** Options of {@link createServerFactory}. */
export interface ServerFactoryOptions {
  readonly backends: ModernBackends;
  readonly relay: ModernRelay;
  readonly log: GatewayLogger;
  /** Upper bound on the discover result's `ttlMs`, ms. */
  readonly ttlCapMs: number;
  /** Whether answers may depend on who asks (the gateway verifies identities). */
  readonly perCaller: boolean;
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
    const serve = (handler: Handler) => async (params: unknown, ctx: ServerContext) => {
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
      try {
        return (await handler((params ?? {}) as Record<string, unknown>, request)) as never;
      } catch (error) {
        const wire = wireErrorOf(error);
        if (wire.log === "error") options.log.error({ err: error }, "modern request failed");
        throw wire.error;
      }
    };
    const { relay } = options;
    const list = (method: ListMethod) =>
      serve((params, request) => relay.list(method, params, request));
    if (capabilities.tools !== undefined) {
      server.setRequestHandler("tools/list", (r, ctx) => list("tools/list")(r.params, ctx));
      server.setRequestHandler("tools/call", (r, ctx) =>
        serve((p, q) => relay.callTool(p, q))(r.params, ctx),
      );
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

function requestStateOf(ctx: ServerContext): { requestState?: string } {
  const state = ctx.mcpReq.requestState<unknown>();
  return typeof state === "string" ? { requestState: state } : {};
}
