/**
 * A modern-only 2026-07-28 backend in a process of its own, for `legacy-modern-round.bench.ts`:
 * SDK v2's `createMcpHandler(factory, { legacy: "reject" })` with one tool, `add_confirmed`,
 * which answers `input_required` once (an elicitation asking to confirm), then, retried with the
 * answer and its `requestState`, the sum of `a` and `b`. Prints its MCP URL on one line, runs
 * until SIGTERM.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { toNodeHandler } from "@modelcontextprotocol/node";
import { createMcpHandler, inputRequired, Server } from "@modelcontextprotocol/server";

const confirmSchema = {
  type: "object" as const,
  properties: { ok: { type: "boolean" as const } },
  required: ["ok"],
};

const handler = createMcpHandler(
  () => {
    const server = new Server(
      { name: "bench-input-round", version: "1.0.0" },
      { capabilities: { tools: {} } },
    );
    server.setRequestHandler("tools/list", () => ({
      tools: [
        {
          name: "add_confirmed",
          inputSchema: {
            type: "object" as const,
            properties: { a: { type: "number" }, b: { type: "number" } },
          },
        },
      ],
    }));
    server.setRequestHandler("tools/call", (request, ctx) => {
      const args = (request.params.arguments ?? {}) as { a?: number; b?: number };
      const answer = ctx.mcpReq.inputResponses?.confirm as
        | { action?: string; content?: { ok?: unknown } }
        | undefined;
      if (ctx.mcpReq.requestState<string>() !== "confirm" || answer === undefined) {
        return inputRequired({
          inputRequests: {
            confirm: inputRequired.elicit({ message: "Add?", requestedSchema: confirmSchema }),
          },
          requestState: "confirm",
        });
      }
      const ok = answer.action === "accept" && answer.content?.ok === true;
      return {
        content: [
          { type: "text" as const, text: ok ? String((args.a ?? 0) + (args.b ?? 0)) : "no" },
        ],
      };
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
