/**
 * A 2026-07-28 backend in a process of its own, for `modern-call.bench.ts`: SDK v2's
 * `createMcpHandler(factory, { legacy: "reject" })` (a modern-only server) with one tool, `add`,
 * on a free loopback port. Prints its MCP URL on one line, runs until SIGTERM.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { toNodeHandler } from "@modelcontextprotocol/node";
import { createMcpHandler, Server } from "@modelcontextprotocol/server";

const handler = createMcpHandler(
  () => {
    const server = new Server(
      { name: "bench-modern", version: "1.0.0" },
      { capabilities: { tools: {} } },
    );
    server.setRequestHandler("tools/list", () => ({
      tools: [
        {
          name: "add",
          inputSchema: {
            type: "object" as const,
            properties: { a: { type: "number" }, b: { type: "number" } },
          },
        },
      ],
    }));
    server.setRequestHandler("tools/call", (request) => {
      const args = (request.params.arguments ?? {}) as { a?: number; b?: number };
      return { content: [{ type: "text" as const, text: String((args.a ?? 0) + (args.b ?? 0)) }] };
    });
    return server;
  },
  { legacy: "reject" },
);
const node = toNodeHandler(handler);
const server = createServer((req, res) => {
  void node(req as Parameters<typeof node>[0], res);
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp\n`);
});
process.once("SIGTERM", () => {
  void handler.close().finally(() => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
});
