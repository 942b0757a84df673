import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";

/**
 * The default server of {@link startMcpBackend}, one per backend session, for workload
 * `workloadId`:
 * - tool `echo` (`{ text }` → `<workloadId>:<text>`), the same name on every backend, so two
 *   backends always conflict on it;
 * - tool `whoami_<workloadId>` → `<workloadId>|<backend session ID>`;
 * - resource `mem://<workloadId>/info` (`info of <workloadId>`);
 * - prompt `greet` (`hello from <workloadId>`), the same name on every backend.
 */
export function makeTestServer(workloadId: string): McpServer {
  const server = new McpServer({ name: `backend-${workloadId}`, version: "1.0.0" });
  server.registerTool(
    "echo",
    { description: "Echoes text", inputSchema: { text: z.string() } },
    async ({ text }) => ({ content: [{ type: "text", text: `${workloadId}:${text}` }] }),
  );
  server.registerTool(
    `whoami_${workloadId}`,
    { description: "Names the backend session serving the call" },
    async (extra) => ({
      content: [{ type: "text", text: `${workloadId}|${extra.sessionId ?? ""}` }],
    }),
  );
  server.registerResource(
    "info",
    `mem://${workloadId}/info`,
    { mimeType: "text/plain" },
    async (uri) => ({ contents: [{ uri: uri.href, text: `info of ${workloadId}` }] }),
  );
  server.registerPrompt("greet", { description: "Greets" }, async () => ({
    messages: [{ role: "user", content: { type: "text", text: `hello from ${workloadId}` } }],
  }));
  return server;
}
