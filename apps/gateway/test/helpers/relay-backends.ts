import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { registerRelayTools, relayCapabilities } from "../fixtures/relay-tools.mjs";

/** The stdio relay backend's script: `node <path> <name>`. */
export const relayStdioScript = fileURLToPath(
  new URL("../fixtures/relay-stdio-backend.mjs", import.meta.url),
);

/** A relay backend over Streamable HTTP that streams (SSE) its POST responses. */
export interface RelayBackend {
  readonly url: string;
  /** Events of its `slow` tool, in order. */
  readonly events: string[];
  /** The live SDK servers, one per backend session. */
  readonly servers: Map<string, McpServer>;
  close(): Promise<void>;
}

/**
 * Serves the relay tools (fixtures/relay-tools.mjs) over stateful Streamable HTTP with SSE
 * responses (not JSON), so request-scoped messages travel on each POST's own stream, as a real
 * backend sends them.
 */
export async function startRelayBackend(name: string): Promise<RelayBackend> {
  const events: string[] = [];
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const servers = new Map<string, McpServer>();
  const http: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const header = req.headers["mcp-session-id"];
    if (typeof header === "string") {
      const known = transports.get(header);
      if (known === undefined) {
        res.writeHead(404, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            jsonrpc: "2.0",
            id: null,
            error: { code: -32001, message: "no session" },
          }),
        );
        return;
      }
      await known.handleRequest(req, res);
      return;
    }
    const server = new McpServer({ name, version: "1.0.0" }, { capabilities: relayCapabilities });
    registerRelayTools(server, name, (event) => events.push(event));
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        transports.set(id, transport);
        servers.set(id, server);
      },
      onsessionclosed: (id) => {
        transports.delete(id);
        servers.delete(id);
      },
    });
    await server.connect(transport);
    await transport.handleRequest(req, res);
  }
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    events,
    servers,
    close: async () => {
      for (const t of transports.values()) await t.close().catch(() => undefined);
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
