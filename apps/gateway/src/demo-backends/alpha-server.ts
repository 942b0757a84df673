import { setTimeout as sleep } from "node:timers/promises";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";

/**
 * The "alpha" demo backend: arithmetic tools (`add`, `multiply`), a slow `sleep`, an `echo` tool whose name
 * deliberately conflicts with the beta backend's, and one static resource (`demo://alpha/readme`).
 */
export function makeAlphaServer(): McpServer {
  const server = new McpServer({ name: "vmcp-demo-alpha", version: "0.1.0" });
  server.registerTool(
    "add",
    {
      description: "Adds two numbers.",
      inputSchema: { a: z.number(), b: z.number() },
    },
    async ({ a, b }) => ({ content: [{ type: "text", text: String(a + b) }] }),
  );
  server.registerTool(
    "multiply",
    {
      description: "Multiplies two numbers.",
      inputSchema: { a: z.number(), b: z.number() },
    },
    async ({ a, b }) => ({ content: [{ type: "text", text: String(a * b) }] }),
  );
  server.registerTool(
    "sleep",
    {
      description:
        "Waits `ms` milliseconds (at most 10000), then answers: a slow request for shutdown demos.",
      inputSchema: { ms: z.number().int().min(0).max(10_000) },
    },
    async ({ ms }) => {
      await sleep(ms);
      return { content: [{ type: "text", text: `slept ${ms} ms` }] };
    },
  );
  server.registerTool(
    "echo",
    {
      description: "Echoes the text back, prefixed with the backend's name (alpha).",
      inputSchema: { text: z.string() },
    },
    async ({ text }) => ({ content: [{ type: "text", text: `alpha: ${text}` }] }),
  );
  server.registerResource(
    "alpha-readme",
    "demo://alpha/readme",
    { description: "What the alpha backend offers.", mimeType: "text/plain" },
    async (uri) => ({
      contents: [
        { uri: uri.href, mimeType: "text/plain", text: "alpha: add, multiply, sleep, echo" },
      ],
    }),
  );
  return server;
}
