import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";

/**
 * The "beta" demo backend: text tools (`reverse`, `word_count`), an `echo` tool whose name
 * deliberately conflicts with the alpha backend's, and one prompt (`greet`).
 */
export function makeBetaServer(): McpServer {
  const server = new McpServer({ name: "vmcp-demo-beta", version: "0.1.0" });
  server.registerTool(
    "reverse",
    {
      description: "Reverses the text.",
      inputSchema: { text: z.string() },
    },
    async ({ text }) => ({ content: [{ type: "text", text: [...text].reverse().join("") }] }),
  );
  server.registerTool(
    "word_count",
    {
      description: "Counts the words in the text.",
      inputSchema: { text: z.string() },
    },
    async ({ text }) => ({
      content: [{ type: "text", text: String(text.split(/\s+/).filter(Boolean).length) }],
    }),
  );
  server.registerTool(
    "echo",
    {
      description: "Echoes the text back, prefixed with the backend's name (beta).",
      inputSchema: { text: z.string() },
    },
    async ({ text }) => ({ content: [{ type: "text", text: `beta: ${text}` }] }),
  );
  server.registerPrompt(
    "greet",
    { description: "A greeting for someone.", argsSchema: { name: z.string() } },
    ({ name }) => ({
      messages: [{ role: "user", content: { type: "text", text: `Say hello to ${name}.` } }],
    }),
  );
  return server;
}
