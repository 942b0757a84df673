import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { SessionStorage } from "@vmcp/session-core";
import type { GatewayLogger } from "../../logger.js";
import { sendJson } from "../responses/send-json.js";
import {
  DefaultHeadersTimeoutMs,
  DefaultMaxHeaderBytes,
  handleClientError,
} from "./client-error.js";
import type { McpEndpoint } from "./mcp-endpoint.js";
import { DefaultBodyTimeoutMs } from "./read-body.js";

/** Options of {@link startHttpServer}. */
export interface HttpServerOptions {
  readonly host: string;
  /** Port; 0 picks a free one. */
  readonly port: number;
  readonly endpoint: McpEndpoint;
  /** Pinged by `/readyz`. */
  readonly storage: SessionStorage;
  readonly log: GatewayLogger;
  /** Bound of the `/readyz` store ping, ms; default 2000. */
  readonly readyTimeoutMs?: number;
  /** Bound on receiving a request's headers, ms (then 408 with a JSON-RPC body); default 10000. */
  readonly headersTimeoutMs?: number;
  /**
   * Bound on receiving a request's body, ms; default 30000. The endpoint enforces it while
   * reading; the server closes any request still incomplete after headers + body + 1 s.
   */
  readonly bodyTimeoutMs?: number;
  /** Bound on all request headers together, bytes (then 431 with a JSON-RPC body); default 16384. */
  readonly maxHeaderBytes?: number;
  /** Serves `GET /metrics` (Prometheus text) when given; otherwise `/metrics` is 404. */
  readonly metrics?: (req: IncomingMessage, res: ServerResponse) => void;
}

/** A listening gateway HTTP server. */
export interface RunningHttpServer {
  /** Base URL, e.g. `http://127.0.0.1:4000`. */
  readonly url: string;
  /** Requests being served right now. */
  inFlight(): number;
  /**
   * Stops accepting connections, waits up to `timeoutMs` (ms) for requests in flight to finish,
   * then closes every remaining connection.
   */
  close(timeoutMs: number): Promise<void>;
}

/**
 * Serves `/mcp` (the endpoint), `/healthz` (liveness: always 200 while the process serves) and
 * `/readyz` (200 when `storage.ping()` succeeds within the bound, 503 otherwise) and, when
 * `metrics` is given, `/metrics`.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  let inFlight = 0;
  let closing = false;
  const drained: (() => void)[] = [];
  const limits = {
    headersTimeoutMs: options.headersTimeoutMs ?? DefaultHeadersTimeoutMs,
    maxHeaderBytes: options.maxHeaderBytes ?? DefaultMaxHeaderBytes,
  };
  const bodyTimeoutMs = options.bodyTimeoutMs ?? DefaultBodyTimeoutMs;
  const serverOptions = {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.headersTimeoutMs + bodyTimeoutMs + 1000,
    // Node checks both timeouts on this period (default 30 s): keep it well under the bounds.
    connectionsCheckingInterval: Math.min(
      1000,
      Math.max(25, Math.floor(limits.headersTimeoutMs / 4)),
    ),
  };
  const server: Server = createServer(serverOptions, (req, res) => {
    inFlight++;
    res.once("close", () => {
      inFlight--;
      if (inFlight === 0) for (const resolve of drained.splice(0)) resolve();
    });
    if (closing) res.setHeader("connection", "close");
    route(req, res).catch((error: unknown) => {
      options.log.error({ err: error }, "unhandled request failure");
      if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
      else res.destroy();
    });
  });
  server.on("clientError", (error: Error & { code?: string }, socket) =>
    handleClientError(error, socket, limits, options.log),
  );

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/mcp") return options.endpoint.handle(req, res);
    if (path === "/healthz") return sendJson(res, 200, { status: "ok" });
    if (path === "/readyz") return ready(res);
    if (path === "/metrics" && options.metrics !== undefined) return options.metrics(req, res);
    sendJson(res, 404, { error: `no route ${path ?? ""}; the MCP endpoint is /mcp` });
  }

  async function ready(res: ServerResponse): Promise<void> {
    if (closing) return sendJson(res, 503, { status: "shutting down" });
    const bound = options.readyTimeoutMs ?? 2000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        options.storage.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`store ping took longer than ${bound} ms`)),
            bound,
          );
        }),
      ]);
      sendJson(res, 200, { status: "ready", store: "reachable" });
    } catch (error) {
      sendJson(res, 503, { status: "not ready", store: (error as Error).message });
    } finally {
      clearTimeout(timer);
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    inFlight: () => inFlight,
    close: async (timeoutMs) => {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => drained.push(resolve)),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, timeoutMs);
          }),
        ]);
        clearTimeout(timer);
      }
      server.closeAllConnections();
      await closed;
    },
  };
}
