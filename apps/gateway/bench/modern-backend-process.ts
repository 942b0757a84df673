/**
 * A 2026-07-28 backend in a process of its own, for `modern-call.bench.ts` and
 * `legacy-modern-round.bench.ts`: SDK v2's `createMcpHandler(factory, { legacy: "reject" })` (a
 * modern-only server) on a free loopback port, with two tools: `add` answers the sum of `a` and
 * `b`; `add_confirmed` first answers `input_required` once (an elicitation asking to confirm),
 * then, retried with the answer and its `requestState`, the sum. Prints its MCP URL on one line,
 * runs until SIGTERM.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { toNodeHandler } from "@modelcontextprotocol/node";
import { createMcpHandler, inputRequired, Server } from "@modelcontextprotocol/server";

const sumSchema = {
  type: "object" as const,
  properties: { a: { type: "number" }, b: { type: "number" } },
};
const confirmSchema = {
  type: "object" as const,
  properties: { ok: { type: "boolean" as const } },
  required: ["ok"],
};

const handler = createMcpHandler(
  () => {
    const server = new Server(
      { name: "bench-modern", version: "1.0.0" },
      { capabilities: { tools: {} } },
    );
    server.setRequestHandler("tools/list", () => ({
      tools: [
        { name: "add", inputSchema: sumSchema },
        { name: "add_confirmed", inputSchema: sumSchema },
      ],
    }));
    server.setRequestHandler("tools/call", (request, ctx) => {
      const args = (request.params.arguments ?? {}) as { a?: number; b?: number };
      const sum = String((args.a ?? 0) + (args.b ?? 0));
      if (request.params.name !== "add_confirmed") {
        return { content: [{ type: "text" as const, text: sum }] };
      }
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
      return { content: [{ type: "text" as const, text: ok ? sum : "no" }] };
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
