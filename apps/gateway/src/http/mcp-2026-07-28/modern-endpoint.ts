import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import {
  createMcpHandler,
  type McpHttpHandler,
  type McpServerFactory,
} from "@modelcontextprotocol/server";
import type { SessionOwner } from "@vmcp/session-core";
import type { GatewayLogger } from "../../logger.js";
import { authInfoOf } from "./caller-auth.js";
import { postEra } from "./era-classification.js";
import { serveParsed } from "./node-exchange.js";

/**
 * The hook the `/mcp` endpoint calls for every parsed POST body, after its Host/Origin,
 * Content-Type, Accept and body checks: a body it `claims` is served here (with the caller the
 * endpoint's identity verifier accepted), everything else stays on the 2025 session path.
 */
export interface ModernPostHook {
  /** Whether the POST belongs to the 2026-07-28 path (see `postEra`). */
  claims(headers: IncomingHttpHeaders, body: unknown): boolean;
  /**
   * Serves a claimed POST to the end. A failure before the response started is thrown for the
   * endpoint to answer; after, the response is ended.
   */
  serve(
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    owner: SessionOwner | undefined,
  ): Promise<void>;
}

/** Options of {@link ModernEndpoint}. */
export interface ModernEndpointOptions {
  /** Builds the SDK `Server` of each request (see `createServerFactory`). */
  readonly factory: McpServerFactory;
  /** `subscriptions/listen` streams open at once on this replica. */
  readonly maxSubscriptions: number;
  /** Period of SSE keep-alive comments, ms; `0` sends none. */
  readonly keepAliveMs: number;
  /** Body bound the SDK applies to a body it reads itself, bytes (the gateway passes `maxBodyBytes`). */
  readonly maxRequestBodySize: number;
  readonly log: GatewayLogger;
  /**
   * Serves each request (`serve`, which resolves once its response has ended) in a scope of its
   * own: the pooled backend sessions' (`PoolRequests.around`). Default: no scope.
   */
  readonly around?: (
    owner: SessionOwner | undefined,
    body: unknown,
    serve: () => Promise<void>,
  ) => Promise<void>;
}

/**
 * The 2026-07-28 half of the `/mcp` endpoint: SDK v2's `createMcpHandler(factory, { legacy:
 * "reject" })`, which answers the validation ladder (-32020 header mismatch, -32022 unsupported
 * revision, -32602 envelope, 404 for removed methods...), installs `server/discover`, stamps
 * `resultType` and `serverInfo`, upgrades a response to SSE when a handler sends notifications,
 * and aborts a handler's signal when the caller disconnects. The body is the one the endpoint
 * already read and bounded (`maxBodyBytes`, `maxJsonDepth`), handed over parsed (`serveParsed`).
 */
export class ModernEndpoint implements ModernPostHook {
  readonly #handler: McpHttpHandler;
  readonly #around: ModernEndpointOptions["around"];

  constructor(options: ModernEndpointOptions) {
    this.#around = options.around;
    this.#handler = createMcpHandler(options.factory, {
      legacy: "reject",
      maxSubscriptions: options.maxSubscriptions,
      keepAliveMs: options.keepAliveMs,
      maxRequestBodySize: options.maxRequestBodySize,
      onerror: (error) => options.log.debug({ reason: error.message }, "modern request refused"),
    });
  }

  claims(headers: IncomingHttpHeaders, body: unknown): boolean {
    return postEra(headers, body) === "modern";
  }

  async serve(
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    owner: SessionOwner | undefined,
  ): Promise<void> {
    const authInfo = authInfoOf(owner);
    // A failure before the response started reaches the endpoint, which answers it (500).
    const serve = () =>
      serveParsed(req, res, body, (request, parsedBody) =>
        this.#handler.fetch(
          request,
          authInfo === undefined ? { parsedBody } : { parsedBody, authInfo },
        ),
      );
    await (this.#around === undefined ? serve() : this.#around(owner, body, serve));
  }

  /** Aborts the modern exchanges in flight and closes their server instances. */
  close(): Promise<void> {
    return this.#handler.close();
  }
}
