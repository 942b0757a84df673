import { setMaxListeners } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  InitializeRequestParamsSchema,
  LATEST_PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
} from "@modelcontextprotocol/sdk/types.js";
import {
  aggregateCapabilities,
  combineInstructions,
  type SessionOwner,
  sessionIdProblem,
} from "@vmcp/session-core";
import { InProcessMessageBus } from "@vmcp/store-memory";
import { bearerTokenOf, type IdentityVerifier } from "../identity/identity-verifier.js";
import type { GatewayLogger } from "../logger.js";
import type { ModernPostHook } from "../modern/modern-endpoint.js";
import { inHeaderContext, traceServerRequest } from "../telemetry/server-span.js";
import { dispatchRequest } from "./dispatch.js";
import { httpErrorOf } from "./error-mapping.js";
import { logRequestFailure } from "./failure-log.js";
import { isJsonContentType, parseJsonBody } from "./json-body.js";
import { errorResponse, GatewayErrorCode, HttpJsonRpcError, resultResponse } from "./json-rpc.js";
import { PostResponse } from "./post-response.js";
import { readBody } from "./read-body.js";
import { BatchTooLongError, batchLengthGuard, type EndpointLimits } from "./request-limits.js";
import type { RequestRouter } from "./router.js";
import { SessionRelay } from "./session-relay.js";
import type { ServedSession, SessionService } from "./session-service.js";
import {
  checkGetAccept,
  checkInitializeWithoutSession,
  checkPostAccept,
  type TransportRules,
} from "./transport-rules.js";

/** The gateway's name and version, as sent in `serverInfo`. */
export const GatewayServerInfo = { name: "vmcp-gateway", version: "0.1.0" } as const;

/** The gateway's own line of the `instructions` it returns, before each backend's own. */
export const GatewayInstructions =
  "A virtual MCP server: the tools, resources and prompts of several backends in one session.";

/** Options of {@link McpEndpoint}. */
export interface McpEndpointOptions {
  readonly sessions: SessionService;
  readonly verifier: IdentityVerifier;
  readonly log: GatewayLogger;
  /** Request body limit, bytes. */
  readonly maxBodyBytes: number;
  /** Bound on receiving a request body, ms (then 408); default 30000. */
  readonly bodyTimeoutMs?: number;
  /** Bound on the nesting depth of a JSON body (then 400); default 64. */
  readonly maxJsonDepth?: number;
  /** Names the store in an unavailability warning whose error names no node, e.g. `redis redis://h:6379`. */
  readonly storeLabel?: string;
  /** Batch length and per-caller limits. Default: none enforced here (the session's own still hold). */
  readonly limits?: EndpointLimits;
  /** Routes every request of a session to its backend (one per gateway). */
  readonly router: RequestRouter;
  /** Host and Origin checks (403). Default: none (the gateway passes its configured rules). */
  readonly transportRules?: TransportRules;
  /**
   * Relays what backends send on their own (progress, log messages, server-to-client requests,
   * unsolicited notifications) and routes the client's answers and cancellations across
   * replicas; also the `messages` handler of the gateway's backend connector. Default: one on a
   * new in-process message bus (one replica).
   */
  readonly relay?: SessionRelay;
  /**
   * Serves the POSTs SDK v2's classification gives to MCP 2026-07-28 (see `ModernPostHook`), after
   * the same Host/Origin, media type, body and identity checks. Default: none (every POST is
   * served as 2025-era traffic).
   */
  readonly modern?: ModernPostHook;
}

interface RpcMessage {
  readonly jsonrpc: "2.0";
  readonly id?: string | number;
  readonly method?: string;
  readonly params?: unknown;
}

/**
 * The Streamable HTTP MCP endpoint (`/mcp`). The gateway owns the `Mcp-Session-Id` lifecycle:
 * POST `initialize` creates a session through the `SessionService` and returns its ID; every
 * other POST needs a valid ID (400 missing or not visible ASCII, 404 unknown/expired/terminated,
 * 403 another identity, 503 store unreachable); DELETE terminates; GET opens the session's
 * standalone SSE stream (one per session). A POST's response is `application/json`, or an SSE
 * stream once a backend sends something for its requests; every refusal has a JSON-RPC error body.
 */
export class McpEndpoint {
  readonly #o: McpEndpointOptions;
  readonly #relay: SessionRelay;

  constructor(options: McpEndpointOptions) {
    this.#o = options;
    this.#relay =
      options.relay ?? new SessionRelay({ bus: new InProcessMessageBus(), log: options.log });
  }

  /** Handles one HTTP request to `/mcp`. Never throws. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      this.#o.transportRules?.checkHostAndOrigin(req.headers);
      // Session lookups, restores and deletes join the trace of the HTTP headers, if any.
      if (req.method === "POST") await inHeaderContext(req.headers, () => this.#post(req, res));
      else if (req.method === "DELETE") {
        await inHeaderContext(req.headers, () => this.#delete(req, res));
      } else if (req.method === "GET") {
        await inHeaderContext(req.headers, () => this.#get(req, res));
      } else {
        throw new HttpJsonRpcError(
          405,
          GatewayErrorCode.InvalidRequest,
          `method ${req.method ?? ""} not allowed`,
          {
            allow: "GET, POST, DELETE",
          },
        );
      }
    } catch (error) {
      this.#fail(req, res, error);
    }
  }

  async #post(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const accepts = checkPostAccept(req.headers.accept);
    if (!isJsonContentType(req.headers["content-type"])) {
      throw new HttpJsonRpcError(
        415,
        GatewayErrorCode.InvalidRequest,
        "Content-Type must be application/json",
      );
    }
    const maxBatch = this.#o.limits?.maxBatchLength;
    // An over-long batch is refused while it arrives: never buffered whole, never parsed.
    const text = await readBody(
      req,
      this.#o.maxBodyBytes,
      this.#o.bodyTimeoutMs,
      maxBatch === undefined ? undefined : batchLengthGuard(maxBatch),
    );
    const body = parseJsonBody(text, this.#o.maxJsonDepth);
    if (this.#o.modern?.claims(req.headers, body) === true) {
      await this.#o.modern.serve(req, res, body, await this.#identify(req));
      return;
    }
    if (Array.isArray(body) && maxBatch !== undefined && body.length > maxBatch) {
      throw new BatchTooLongError(body.length, maxBatch);
    }
    const messages = (Array.isArray(body) ? body : [body]).map(checkMessage);
    if (messages.length === 0)
      throw new HttpJsonRpcError(400, GatewayErrorCode.InvalidRequest, "empty batch");
    const owner = await this.#identify(req);

    const init = messages.find((m) => m.method === "initialize");
    if (init !== undefined) {
      if (messages.length > 1 || init.id === undefined) {
        throw new HttpJsonRpcError(
          400,
          GatewayErrorCode.InvalidRequest,
          "initialize must be a lone request",
        );
      }
      checkInitializeWithoutSession(req.headers["mcp-session-id"]);
      const id = init.id;
      await traceServerRequest(
        {
          method: "initialize",
          params: init.params,
          id,
          headers: req.headers,
          httpVersion: req.httpVersion,
        },
        () =>
          this.#initialize(
            id,
            init.params,
            owner,
            res,
            this.#o.limits?.callers.callerOf(owner, req.socket.remoteAddress),
          ),
      );
      return;
    }

    this.#checkProtocolHeader(req);
    const session = await this.#session(req, owner);
    for (const m of messages) {
      if (m.method === "notifications/cancelled" && m.id === undefined) {
        const p = (m.params ?? {}) as { requestId?: unknown; reason?: unknown };
        await this.#relay.cancel(session.id, p.requestId, p.reason);
      } else if (m.method === "notifications/roots/list_changed" && m.id === undefined) {
        // The client's roots changed: every backend was told it may ask (roots.listChanged).
        const params = m.params;
        await session.notifyBackends(
          m.method,
          typeof params === "object" && params !== null && !Array.isArray(params)
            ? (params as Record<string, unknown>)
            : undefined,
        );
      }
    }
    // The client's answers to server-to-client requests: to their waiters, on any replica.
    await Promise.all(
      messages.filter((m) => m.method === undefined).map((m) => this.#relay.answer(session.id, m)),
    );
    const requests = messages.filter((m) => m.method !== undefined && m.id !== undefined);
    if (requests.length === 0) {
      res.writeHead(202).end();
      return;
    }
    const controller = new AbortController();
    // Every entry of a batch (bounded by maxBatchLength) listens for the abort.
    setMaxListeners(0, controller.signal);
    res.once("close", () => {
      if (!res.writableFinished) controller.abort();
    });
    const response = new PostResponse(res, { "mcp-session-id": session.id }, accepts.stream);
    const responses = await Promise.all(
      requests.map(async (m) => {
        const id = m.id as string | number;
        const request = this.#relay.cancellations.begin(session.id, id, controller.signal);
        const inFlight = this.#relay.begin(session, m.params, response);
        await this.#relay.ready(inFlight);
        const method = m.method as string;
        const outcome = await traceServerRequest(
          {
            method,
            params: m.params,
            id,
            sessionId: session.id,
            headers: req.headers,
            httpVersion: req.httpVersion,
          },
          () =>
            this.#relay.run(inFlight, () =>
              dispatchRequest(method, m.params, {
                session,
                signal: request.signal,
                log: this.#o.log,
                router: this.#o.router,
              }),
            ),
        ).finally(() => {
          request.done();
          this.#relay.end(inFlight);
        });
        return "error" in outcome
          ? errorResponse(id, outcome.error)
          : resultResponse(id, outcome.result);
      }),
    );
    response.finish(Array.isArray(body) ? responses : responses[0]);
  }

  /** `GET /mcp`: the session's standalone SSE stream (409 when this replica already holds one). */
  async #get(req: IncomingMessage, res: ServerResponse): Promise<void> {
    checkGetAccept(req.headers.accept);
    const owner = await this.#identify(req);
    this.#checkProtocolHeader(req);
    const session = await this.#session(req, owner);
    // Each heartbeat uses the session: not evicted as idle, its stored TTL slides, and a session
    // deleted or expired meanwhile ends the stream.
    const keepAlive = async () => (await this.#o.sessions.get(session.id, owner)) !== undefined;
    await this.#relay.openStream(session, res, { "mcp-session-id": session.id }, keepAlive);
  }

  async #initialize(
    id: string | number,
    params: unknown,
    owner: SessionOwner | undefined,
    res: ServerResponse,
    caller: string | undefined,
  ) {
    const parsed = InitializeRequestParamsSchema.safeParse(params);
    if (!parsed.success) {
      sendJson(
        res,
        400,
        errorResponse(id, {
          code: GatewayErrorCode.InvalidParams,
          message: `invalid initialize params: ${parsed.error.message}`,
        }),
      );
      return;
    }
    const requested = parsed.data.protocolVersion;
    const protocolVersion = SUPPORTED_PROTOCOL_VERSIONS.includes(requested)
      ? requested
      : LATEST_PROTOCOL_VERSION;
    if (caller !== undefined) this.#o.limits?.callers.admitInitialize(caller);
    const session = await this.#o.sessions.create({
      ...(owner === undefined ? {} : { owner }),
      client: {
        protocolVersion,
        capabilities: parsed.data.capabilities,
        clientInfo: parsed.data.clientInfo,
      },
    });
    if (caller !== undefined) this.#o.limits?.callers.created(caller, session.id);
    this.#o.router.adopt(session);
    const backends = session.backendInfo();
    this.#o.log.info(
      { sessionId: session.id, owner, client: parsed.data.clientInfo },
      "session created",
    );
    sendJson(
      res,
      200,
      resultResponse(id, {
        protocolVersion,
        capabilities: aggregateCapabilities(backends, { listChanged: true }),
        serverInfo: GatewayServerInfo,
        instructions: combineInstructions(backends, GatewayInstructions),
      }),
      { "mcp-session-id": session.id },
    );
  }

  async #delete(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const owner = await this.#identify(req);
    const id = sessionIdOf(req);
    const existed = await this.#o.sessions.terminate(id, owner);
    this.#o.limits?.callers.ended(id);
    await this.#relay.terminated(id);
    if (!existed) throw notFound(id);
    this.#o.log.info({ sessionId: id }, "session terminated");
    res.writeHead(200).end();
  }

  async #session(req: IncomingMessage, owner: SessionOwner | undefined): Promise<ServedSession> {
    const id = sessionIdOf(req);
    const session = await this.#o.sessions.get(id, owner);
    if (session === undefined) throw notFound(id);
    this.#o.limits?.callers.seen(id);
    return session;
  }

  async #identify(req: IncomingMessage): Promise<SessionOwner | undefined> {
    return this.#o.verifier.verify(bearerTokenOf(req.headers.authorization), req.headers);
  }

  #checkProtocolHeader(req: IncomingMessage): void {
    const version = req.headers["mcp-protocol-version"];
    if (typeof version === "string" && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
      throw new HttpJsonRpcError(
        400,
        GatewayErrorCode.InvalidRequest,
        `unsupported MCP-Protocol-Version ${JSON.stringify(version)} (supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(", ")})`,
      );
    }
  }

  #fail(req: IncomingMessage, res: ServerResponse, error: unknown): void {
    const { status, body, headers } = httpErrorOf(error);
    logRequestFailure(this.#o.log, req.method, status, body.message, error, this.#o.storeLabel);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendJson(res, status, errorResponse(null, body), headers);
    if (headers.connection === "close") res.once("finish", () => req.destroy());
  }
}

function checkMessage(value: unknown): RpcMessage {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HttpJsonRpcError(
      400,
      GatewayErrorCode.InvalidRequest,
      "a JSON-RPC message must be an object",
    );
  }
  const m = value as Record<string, unknown>;
  if (m.jsonrpc !== "2.0")
    throw new HttpJsonRpcError(400, GatewayErrorCode.InvalidRequest, 'jsonrpc must be "2.0"');
  if (m.method !== undefined && typeof m.method !== "string") {
    throw new HttpJsonRpcError(400, GatewayErrorCode.InvalidRequest, "method must be a string");
  }
  if (m.id !== undefined && typeof m.id !== "string" && typeof m.id !== "number") {
    throw new HttpJsonRpcError(
      400,
      GatewayErrorCode.InvalidRequest,
      "id must be a string or a number",
    );
  }
  if (m.method === undefined && m.result === undefined && m.error === undefined) {
    throw new HttpJsonRpcError(
      400,
      GatewayErrorCode.InvalidRequest,
      "not a request, notification or response",
    );
  }
  return m as unknown as RpcMessage;
}

function sessionIdOf(req: IncomingMessage): string {
  const raw = req.headers["mcp-session-id"];
  if (raw === undefined) {
    throw new HttpJsonRpcError(
      400,
      GatewayErrorCode.InvalidRequest,
      "missing Mcp-Session-Id header (send initialize first)",
    );
  }
  const id = Array.isArray(raw) ? raw.join(",") : raw;
  const problem = sessionIdProblem(id);
  if (problem !== undefined) {
    throw new HttpJsonRpcError(
      400,
      GatewayErrorCode.InvalidRequest,
      `invalid Mcp-Session-Id: ${problem}`,
    );
  }
  return id;
}

function notFound(id: string): HttpJsonRpcError {
  return new HttpJsonRpcError(
    404,
    GatewayErrorCode.SessionNotFound,
    `session ${JSON.stringify(id)} not found (unknown, expired or terminated); initialize a new one`,
  );
}

/** Writes `body` as JSON with `status` and `headers`. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}
