import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import {
  createMcpHandler,
  type McpHttpHandler,
  type McpServerFactory,
  type ServerEventBus,
} from "@modelcontextprotocol/server";
import type { SessionOwner } from "@vmcp/session-core";
import type { GatewayLogger } from "../../logger.js";
import { authInfoOf } from "./caller-auth.js";
import { postEra } from "./era-classification.js";
import type { ListenFanIn } from "./listen/listen-fan-in.js";
import { listenedUris } from "./listen/listen-filter.js";
import { serveParsed } from "./node-exchange.js";
import type { RefusalStatuses } from "./refusal-statuses.js";

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
  /** Where `subscriptions/listen` streams get their events (the replica's `ReplicaEventBus`). */
  readonly bus: ServerEventBus;
  /** Brings the backend listens up to date before a listen stream is acknowledged. */
  readonly fanIn: Pick<ListenFanIn, "open" | "streams">;
  /** `subscriptions/listen` streams open at once on this replica. */
  readonly maxSubscriptions: number;
  /** Period of SSE keep-alive comments, ms; `0` sends none. */
  readonly keepAliveMs: number;
  /** Body bound the SDK applies to a body it reads itself, bytes (the gateway passes `maxBodyBytes`). */
  readonly maxRequestBodySize: number;
  /** The statuses the server factory's handlers record for refusals the SDK would answer in-band. */
  readonly refusals?: RefusalStatuses;
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
 * A handler's error the spec makes a refusal of the whole request gets its HTTP status here
 * (`RefusalStatuses`: 400 for an `Mcp-Param-*` mismatch).
 *
 * A `subscriptions/listen` stream is served by the SDK's listen router from the replica's event
 * bus (acknowledgement, filtering by what `server/discover` declares, the subscription ID on every
 * frame, keep-alive comments every `keepAliveMs`, -32603 "Subscription limit reached" past
 * `maxSubscriptions`), once the fan-in follows what the stream asked for (`ListenFanIn.open`).
 */
export class ModernEndpoint implements ModernPostHook {
  readonly #handler: McpHttpHandler;
  readonly #refusals: RefusalStatuses | undefined;
  readonly #fanIn: ModernEndpointOptions["fanIn"];
  readonly #maxSubscriptions: number;
  readonly #around: ModernEndpointOptions["around"];

  constructor(options: ModernEndpointOptions) {
    this.#refusals = options.refusals;
    this.#fanIn = options.fanIn;
    this.#maxSubscriptions = options.maxSubscriptions;
    this.#around = options.around;
    this.#handler = createMcpHandler(options.factory, {
      legacy: "reject",
      bus: options.bus,
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
    const uris = listenedUris(body);
    // Past the limit the SDK refuses the stream: nothing to follow for it.
    if (uris !== undefined && this.#fanIn.streams < this.#maxSubscriptions) {
      const opened = await this.#fanIn.open(uris);
      if (opened.kind === "limit") {
        refuseListen(res, body);
        return;
      }
      // The client may have left while the backend listens were brought up to date.
      if (res.closed) {
        opened.release();
        return;
      }
      // The stream's end, whichever way (the client left, the handler closed it, a refusal).
      res.once("close", opened.release);
    }
    // A failure before the response started reaches the endpoint, which answers it (500).
    const serve = () =>
      serveParsed(req, res, body, async (request, parsedBody) => {
        const response = await this.#handler.fetch(
          request,
          authInfo === undefined ? { parsedBody } : { parsedBody, authInfo },
        );
        return this.#refusals?.apply(request, response) ?? response;
      });
    await (this.#around === undefined ? serve() : this.#around(owner, body, serve));
  }

  /** Aborts the modern exchanges in flight and closes their server instances. */
  close(): Promise<void> {
    return this.#handler.close();
  }
}

/**
 * The spec's in-band answer to a listen the replica cannot take (HTTP 200, as the SDK answers
 * one past `maxSubscriptions`): here its resource URIs would take the replica past
 * `maxResourceSubscriptions`.
 */
function refuseListen(res: ServerResponse, body: unknown): void {
  const id = (body as { id?: unknown }).id;
  const answer = JSON.stringify({
    jsonrpc: "2.0",
    id: typeof id === "string" || typeof id === "number" ? id : null,
    error: { code: -32603, message: "Subscription limit reached" },
  });
  res
    .writeHead(200, {
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength(answer)),
    })
    .end(answer);
}
