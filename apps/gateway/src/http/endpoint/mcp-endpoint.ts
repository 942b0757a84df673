import type { IncomingMessage, ServerResponse } from "node:http";
import type { SessionOwner } from "@vmcp/session-core";
import { bearerTokenOf, type IdentityVerifier } from "../../identity/identity-verifier.js";
import { httpErrorOf } from "../../json-rpc/error-mapping.js";
import { errorResponse, GatewayErrorCode, HttpJsonRpcError } from "../../json-rpc/json-rpc.js";
import { checkMessage } from "../../json-rpc/rpc-message.js";
import type { GatewayLogger } from "../../logger.js";
import { inHeaderContext } from "../../telemetry/server-span.js";
import {
  BatchTooLongError,
  batchLengthGuard,
  type EndpointLimits,
} from "../guards/request-limits.js";
import { checkGetAccept, checkPostAccept, type TransportRules } from "../guards/transport-rules.js";
import type { SessionRelay } from "../mcp-2025-11-25/relay/session-relay.js";
import { SessionProtocol } from "../mcp-2025-11-25/session-protocol.js";
import type { ModernPostHook } from "../mcp-2026-07-28/modern-endpoint.js";
import { sendJson } from "../responses/send-json.js";
import type { RequestRouter } from "../routing/router.js";
import type { SessionService } from "../routing/session-service.js";
import { logRequestFailure } from "./failure-log.js";
import { isJsonContentType, parseJsonBody } from "./json-body.js";
import { readBody } from "./read-body.js";

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

/**
 * The Streamable HTTP MCP endpoint (`/mcp`): what every request goes through before a protocol
 * era serves it. It checks `Host` and `Origin`, the HTTP method, `Accept` and `Content-Type`,
 * reads the body (bounded in bytes, time, batch length and nesting), checks each JSON-RPC
 * message and verifies the caller, then hands the request to its protocol era: a POST that SDK
 * v2's rule classifies as MCP 2026-07-28 to the modern path (`ModernPostHook`, within the
 * caller's in-flight bound, `EndpointLimits.modernRequests`), everything else
 * to the MCP 2025-11-25 session protocol ({@link SessionProtocol}: `Mcp-Session-Id`,
 * `initialize`, GET stream, DELETE). Every refusal has a JSON-RPC error body.
 */
export class McpEndpoint {
  readonly #verifier: IdentityVerifier;
  readonly #log: GatewayLogger;
  readonly #maxBodyBytes: number;
  readonly #bodyTimeoutMs: number | undefined;
  readonly #maxJsonDepth: number | undefined;
  readonly #storeLabel: string | undefined;
  readonly #maxBatchLength: number | undefined;
  readonly #limits: EndpointLimits | undefined;
  readonly #transportRules: TransportRules | undefined;
  readonly #sessionProtocol: SessionProtocol;
  readonly #modern: ModernPostHook | undefined;

  constructor(options: McpEndpointOptions) {
    this.#verifier = options.verifier;
    this.#log = options.log;
    this.#maxBodyBytes = options.maxBodyBytes;
    this.#bodyTimeoutMs = options.bodyTimeoutMs;
    this.#maxJsonDepth = options.maxJsonDepth;
    this.#storeLabel = options.storeLabel;
    this.#maxBatchLength = options.limits?.maxBatchLength;
    this.#limits = options.limits;
    this.#transportRules = options.transportRules;
    this.#modern = options.modern;
    this.#sessionProtocol = new SessionProtocol({
      sessions: options.sessions,
      log: options.log,
      router: options.router,
      callers: options.limits?.callers,
      relay: options.relay,
    });
  }

  /** Handles one HTTP request to `/mcp`. Never throws. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      this.#transportRules?.checkHostAndOrigin(req.headers);
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
    const maxBatch = this.#maxBatchLength;
    // An over-long batch is refused while it arrives: never buffered whole, never parsed.
    const text = await readBody(
      req,
      this.#maxBodyBytes,
      this.#bodyTimeoutMs,
      maxBatch === undefined ? undefined : batchLengthGuard(maxBatch),
    );
    const body = parseJsonBody(text, this.#maxJsonDepth);
    if (this.#modern?.claims(req.headers, body) === true) {
      await this.#serveModern(this.#modern, req, res, body);
      return;
    }
    if (Array.isArray(body) && maxBatch !== undefined && body.length > maxBatch) {
      throw new BatchTooLongError(body.length, maxBatch);
    }
    const messages = (Array.isArray(body) ? body : [body]).map(checkMessage);
    if (messages.length === 0)
      throw new HttpJsonRpcError(400, GatewayErrorCode.InvalidRequest, "empty batch");
    const owner = await this.#identify(req);
    await this.#sessionProtocol.post(req, res, {
      messages,
      batch: Array.isArray(body),
      stream: accepts.stream,
      owner,
    });
  }

  /**
   * A 2026-07-28 POST: the caller verified, then one of its in-flight slots taken (429 when it has
   * none left; see `ModernRequestSlots`) and held until the response has ended.
   */
  async #serveModern(
    modern: ModernPostHook,
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
  ): Promise<void> {
    const owner = await this.#identify(req);
    const limits = this.#limits;
    const release = limits?.modernRequests?.admit(
      limits.callers.callerOf(owner, req.socket.remoteAddress),
    );
    try {
      await modern.serve(req, res, body, owner);
    } finally {
      release?.();
    }
  }

  /** `GET /mcp`: the session's standalone SSE stream. */
  async #get(req: IncomingMessage, res: ServerResponse): Promise<void> {
    checkGetAccept(req.headers.accept);
    const owner = await this.#identify(req);
    await this.#sessionProtocol.get(req, res, owner);
  }

  async #delete(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const owner = await this.#identify(req);
    await this.#sessionProtocol.delete(req, res, owner);
  }

  async #identify(req: IncomingMessage): Promise<SessionOwner | undefined> {
    return this.#verifier.verify(bearerTokenOf(req.headers.authorization), req.headers);
  }

  #fail(req: IncomingMessage, res: ServerResponse, error: unknown): void {
    const { status, body, headers } = httpErrorOf(error);
    logRequestFailure(this.#log, req.method, status, body.message, error, this.#storeLabel);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendJson(res, status, errorResponse(null, body), headers);
    if (headers.connection === "close") res.once("finish", () => req.destroy());
  }
}
