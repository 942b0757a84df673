import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { ServerCapabilities } from "@modelcontextprotocol/sdk/types.js";

/** What an SSE backend serves: its capabilities, and the tools each backend session registers. */
export interface SseBackendTools {
  readonly capabilities: ServerCapabilities;
  /** Registers the tools on a new backend session's server; `record` appends to `events`. */
  register(server: McpServer, name: string, record: (event: string) => void): void;
}

/** An SDK v1 backend over stateful Streamable HTTP that streams (SSE) its POST responses. */
export interface SseBackend {
  readonly url: string;
  /** What its tools recorded, in order. */
  readonly events: string[];
  /** The live SDK servers, one per backend session. */
  readonly servers: Map<string, McpServer>;
  close(): Promise<void>;
}

/**
 * Serves `tools` over stateful Streamable HTTP with SSE responses (not JSON), a server per
 * backend session, so request-scoped messages (progress, logs, mid-call requests) travel on each
 * POST's own stream, as a real backend sends them. An unknown session ID is 404 -32001.
 */
export async function startSseBackend(name: string, tools: SseBackendTools): Promise<SseBackend> {
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
    const server = new McpServer({ name, version: "1.0.0" }, { capabilities: tools.capabilities });
    tools.register(server, name, (event) => events.push(event));
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
