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
import { MetadataKeySessionPool } from "@vmcp/session-keys";
import { InProcessMessageBus } from "@vmcp/store-memory";
import { ifDefined } from "../../if-defined.js";
import {
  errorResponse,
  GatewayErrorCode,
  HttpJsonRpcError,
  resultResponse,
} from "../../json-rpc/json-rpc.js";
import type { RpcMessage } from "../../json-rpc/rpc-message.js";
import type { GatewayLogger } from "../../logger.js";
import { GatewayInstructions, GatewayServerInfo } from "../../server-info.js";
import { traceServerRequest } from "../../telemetry/server-span.js";
import type { CallerLimits } from "../guards/request-limits.js";
import { checkInitializeWithoutSession } from "../guards/transport-rules.js";
import { PostResponse } from "../responses/post-response.js";
import { sendJson } from "../responses/send-json.js";
import { dispatchRequest } from "../routing/dispatch.js";
import type { RequestRouter } from "../routing/router.js";
import type { ServedSession, SessionService } from "../routing/session-service.js";
import { SessionRelay } from "./relay/session-relay.js";

/** Options of {@link SessionProtocol}. */
export interface SessionProtocolOptions {
  readonly sessions: SessionService;
  readonly log: GatewayLogger;
  /** Routes every request of a session to its backend (one per gateway). */
  readonly router: RequestRouter;
  /** The per-caller limits of `initialize` and live sessions. Default: none. */
  readonly callers?: CallerLimits | undefined;
  /** Relays what backends send on their own. Default: one on a new in-process message bus. */
  readonly relay?: SessionRelay | undefined;
}

/** A POST's messages, checked, and what the endpoint learned about it. */
export interface SessionPost {
  readonly messages: readonly RpcMessage[];
  /** Whether the body was a batch (the response is then an array). */
  readonly batch: boolean;
  /** Whether the client accepts an SSE response. */
  readonly stream: boolean;
  /** The caller's verified identity, if any. */
  readonly owner: SessionOwner | undefined;
}

/**
 * The MCP 2025-11-25 session protocol on `/mcp`, once the endpoint has read and checked a
 * request: POST `initialize` creates a session through the `SessionService` and returns its
 * `Mcp-Session-Id`; every other POST needs a valid ID (400 missing or not visible ASCII, 404
 * unknown/expired/terminated, 403 another identity, 503 store unreachable) and carries requests,
 * notifications and answers of that session; DELETE terminates it; GET opens its standalone SSE
 * stream (one per session). A POST's response is `application/json`, or an SSE stream once a
 * backend sends something for its requests.
 */
export class SessionProtocol {
  readonly #sessions: SessionService;
  readonly #log: GatewayLogger;
  readonly #router: RequestRouter;
  readonly #callers: CallerLimits | undefined;
  readonly #relay: SessionRelay;

  constructor(options: SessionProtocolOptions) {
    this.#sessions = options.sessions;
    this.#log = options.log;
    this.#router = options.router;
    this.#callers = options.callers;
    this.#relay =
      options.relay ?? new SessionRelay({ bus: new InProcessMessageBus(), log: options.log });
  }

  /** A POST: `initialize` alone, or the messages of an existing session. */
  async post(req: IncomingMessage, res: ServerResponse, post: SessionPost): Promise<void> {
    const { messages, owner } = post;
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
            this.#callers?.callerOf(owner, req.socket.remoteAddress),
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
    const response = new PostResponse(res, { "mcp-session-id": session.id }, post.stream);
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
                log: this.#log,
                router: this.#router,
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
    response.finish(post.batch ? responses : responses[0]);
  }

  /** A GET: the session's standalone SSE stream (409 when this replica already holds one). */
  async get(
    req: IncomingMessage,
    res: ServerResponse,
    owner: SessionOwner | undefined,
  ): Promise<void> {
    this.#checkProtocolHeader(req);
    const session = await this.#session(req, owner);
    // The stream may be this replica's first sight of the session (its former replica is gone):
    // follow what the session subscribed to before its updates are due here.
    await this.#router.applyStored(session);
    // Each heartbeat uses the session: not evicted as idle, its stored TTL slides, and a session
    // deleted or expired meanwhile ends the stream.
    const keepAlive = async () => (await this.#sessions.get(session.id, owner)) !== undefined;
    await this.#relay.openStream(session, res, { "mcp-session-id": session.id }, keepAlive);
  }

  /** A DELETE: terminates the session, here and on every replica. */
  async delete(
    req: IncomingMessage,
    res: ServerResponse,
    owner: SessionOwner | undefined,
  ): Promise<void> {
    const id = sessionIdOf(req);
    const existed = await this.#sessions.terminate(id, owner);
    this.#callers?.ended(id);
    await this.#relay.terminated(id);
    if (!existed) throw notFound(id);
    this.#log.info({ sessionId: id }, "session terminated");
    res.writeHead(200).end();
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
    if (caller !== undefined) this.#callers?.admitInitialize(caller);
    const session = await this.#sessions.create({
      ...ifDefined("owner", owner),
      client: {
        protocolVersion,
        capabilities: parsed.data.capabilities,
        clientInfo: parsed.data.clientInfo,
      },
    });
    if (caller !== undefined) this.#callers?.created(caller, session.id);
    this.#router.adopt(session);
    const backends = session.backendInfo();
    this.#log.info(
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

  async #session(req: IncomingMessage, owner: SessionOwner | undefined): Promise<ServedSession> {
    const id = sessionIdOf(req);
    const session = await this.#sessions.get(id, owner);
    // A pooled backend session (kept for 2026-07-28 callers) is no session a client holds.
    if (session === undefined || session.getMetadata()[MetadataKeySessionPool] !== undefined) {
      throw notFound(id);
    }
    this.#callers?.seen(id);
    return session;
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
