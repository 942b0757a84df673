import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { registerParkTools } from "../fixtures/park-tools.mjs";

/** The stdio parked-call backend's script: `node <path> <name>`. */
export const parkStdioScript = fileURLToPath(
  new URL("../fixtures/park-stdio-backend.mjs", import.meta.url),
);

/** A 2025-era (SDK v1) backend over stateful Streamable HTTP that asks its client for input mid-call. */
export interface ParkBackend {
  readonly url: string;
  /** Events of its `hold` tool, in order (`hold:asked:<tag>`, `hold:aborted:<tag>`). */
  readonly events: string[];
  close(): Promise<void>;
}

/**
 * Serves the parked-call tools (fixtures/park-tools.mjs) over stateful Streamable HTTP with SSE
 * responses, so its mid-call requests travel on each POST's own stream, as a real backend sends them.
 */
export async function startParkBackend(name: string): Promise<ParkBackend> {
  const events: string[] = [];
  const transports = new Map<string, StreamableHTTPServerTransport>();
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
    const server = new McpServer(
      { name, version: "1.0.0" },
      { capabilities: { logging: {}, tools: {} } },
    );
    registerParkTools(server, name, (event) => events.push(event));
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        transports.set(id, transport);
      },
      onsessionclosed: (id) => {
        transports.delete(id);
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
    close: async () => {
      for (const t of transports.values()) await t.close().catch(() => undefined);
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
