import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import {
  localhostHostValidation,
  localhostOriginValidation,
  type NodeIncomingMessageLike,
  toNodeHandler,
} from "@modelcontextprotocol/node";
import {
  createMcpHandler,
  createRequestStateCodec,
  type McpHttpHandler,
} from "@modelcontextprotocol/server";
import type { ConformanceRequestState } from "./conformance-input-required.js";
import { makeConformanceServer } from "./conformance-server.js";

/** Options for {@link startConformanceBackend}. */
export interface ConformanceBackendOptions {
  /** The loopback port to listen on. Default 0: a free port. */
  readonly port?: number;
  /**
   * The HMAC key (at least 32 bytes) sealing the multi-round tools' `requestState`. Default: 32
   * random bytes per backend. Give several backends the same key to let one verify what another
   * minted.
   */
  readonly requestStateKey?: Uint8Array | string;
  /** How long a minted `requestState` stays valid, in seconds. Default 600. */
  readonly requestStateTtlSeconds?: number;
}

/** A running conformance backend (see {@link startConformanceBackend}). */
export interface ConformanceBackend {
  /** The MCP endpoint, `http://127.0.0.1:<port>/mcp`. */
  readonly url: string;
  /** The SDK handler serving it: `notify` publishes list changes to its listen streams. */
  readonly handler: McpHttpHandler;
  /** Ends open streams (listen streams get their graceful result), then closes the listener. */
  close(): Promise<void>;
}

/**
 * Starts the repository's own reference backend for the official MCP conformance tool: a dual-era
 * SDK v2 server on loopback. `createMcpHandler` serves 2026-07-28 requests (per-request
 * `McpServer`, `server/discover`, `subscriptions/listen`, `input_required`) and, with its default
 * `legacy: 'stateless'`, 2025-era requests from the same server definition (stateless: no
 * `Mcp-Session-Id`, so no server-to-client requests on that era). In front of it, the SDK's
 * localhost Host and Origin checks (403 otherwise: DNS rebinding protection). Only `/mcp` is
 * served; every other path is 404. Its tools, prompts and resources are listed in
 * `makeConformanceServer`.
 */
export async function startConformanceBackend(
  options: ConformanceBackendOptions = {},
): Promise<ConformanceBackend> {
  const codec = createRequestStateCodec<ConformanceRequestState>({
    key: options.requestStateKey ?? randomBytes(32),
    ttlSeconds: options.requestStateTtlSeconds ?? 600,
    // A state minted for one method is refused on another (the payload names the tool).
    bind: (ctx) => ctx.mcpReq.method,
  });
  // The factory reads `handler` only when a request arrives, after it is assigned.
  const handler: McpHttpHandler = createMcpHandler(() =>
    makeConformanceServer({ notify: handler.notify, codec }),
  );
  const serve = toNodeHandler(handler);
  const hostAllowed = localhostHostValidation();
  const originAllowed = localhostOriginValidation();
  const server = createServer((req, res) => {
    if (!hostAllowed(req, res) || !originAllowed(req, res)) return;
    if (new URL(req.url ?? "/", "http://localhost").pathname !== "/mcp") {
      res.writeHead(404).end();
      return;
    }
    // IncomingMessage declares `method?: string | undefined`, which the adapter's structural type
    // spells `method?: string`; the object is the one the adapter is written for.
    void serve(req as NodeIncomingMessageLike, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    handler,
    close: async () => {
      await handler.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
