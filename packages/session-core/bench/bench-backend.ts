import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A minimal stateful MCP backend over Streamable HTTP (JSON responses, no SSE), on loopback:
 * answers `initialize` (after an optional delay) with a new `Mcp-Session-Id`, `ping`,
 * `tools/list`, `tools/call`, notifications (202), refuses the GET stream (405), ends sessions on
 * DELETE, and answers 404 for an unknown session. Kept this small so that the benchmark's time
 * is the gateway's (the SDK client and the factory), not a heavyweight server's; counts methods.
 */
export interface BenchBackend {
  readonly url: string;
  readonly methods: Map<string, number>;
  close(): Promise<void>;
}

interface Rpc {
  readonly id?: string | number;
  readonly method?: string;
  readonly params?: { readonly protocolVersion?: string };
}

export async function startBenchBackend(
  name: string,
  initializeDelayMs = 0,
): Promise<BenchBackend> {
  const methods = new Map<string, number>();
  const sessions = new Set<string>();
  const http: Server = createServer(async (req, res) => {
    const header = req.headers["mcp-session-id"];
    const sessionId = Array.isArray(header) ? header[0] : header;
    if (req.method === "GET") {
      res.writeHead(405).end();
      return;
    }
    if (req.method === "DELETE") {
      const known = sessionId !== undefined && sessions.delete(sessionId);
      res.writeHead(known ? 200 : 404).end();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rpc = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Rpc;
    const method = rpc.method ?? "";
    methods.set(method, (methods.get(method) ?? 0) + 1);
    if (method === "initialize") {
      if (initializeDelayMs > 0) await new Promise((r) => setTimeout(r, initializeDelayMs));
      const id = randomUUID();
      sessions.add(id);
      const result = {
        protocolVersion: rpc.params?.protocolVersion ?? "2025-06-18",
        capabilities: { tools: {} },
        serverInfo: { name, version: "1.0.0" },
      };
      res.writeHead(200, { "content-type": "application/json", "mcp-session-id": id });
      res.end(JSON.stringify({ jsonrpc: "2.0", id: rpc.id, result }));
      return;
    }
    if (sessionId === undefined || !sessions.has(sessionId)) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          jsonrpc: "2.0",
          id: null,
          error: { code: -32001, message: "Session not found" },
        }),
      );
      return;
    }
    if (rpc.id === undefined) {
      res.writeHead(202).end();
      return;
    }
    const result =
      method === "tools/list"
        ? { tools: [{ name: "noop", inputSchema: { type: "object" } }] }
        : method === "tools/call"
          ? { content: [] }
          : {};
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ jsonrpc: "2.0", id: rpc.id, result }));
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    methods,
    close: async () => {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
