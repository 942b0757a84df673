import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { CreateMessageResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";

/** What {@link makePooledServer}'s `<id>_ask` tool answers when the client did not sample. */
export const AskFailedPrefix = "sampling failed: ";

/**
 * A 2025-era SDK v1 server for the pooled-session tests (one per backend session, served by
 * `startMcpBackend`, which counts each `initialize`), for workload `workloadId`:
 * - `echo` (`{ text }` → `<id>: <text>`), a name every such backend has;
 * - `<id>_whoami` → `<id>|<backend session ID>`, which names the backend session serving the call;
 * - `<id>_steps` (`{ count }`): `count` progress notifications with the caller's token and as many
 *   log messages, then `<count> steps done`;
 * - `<id>_ask`: asks the client for a sample (`sampling/createMessage`) and answers what came back,
 *   or {@link AskFailedPrefix} and the error;
 * - `<id>_sample` only for a client that declared `sampling` at `initialize` (as
 *   server-everything's sampling tools): its tools depend on the client's capabilities.
 */
export function makePooledServer(workloadId: string): McpServer {
  const server = new McpServer(
    { name: `pooled-${workloadId}`, version: "1.0.0" },
    {
      capabilities: { logging: {}, tools: { listChanged: true } },
      instructions: `${workloadId} (2025)`,
    },
  );
  server.registerTool(
    "echo",
    { description: "Echoes text", inputSchema: { text: z.string() } },
    async ({ text }) => ({ content: [{ type: "text", text: `${workloadId}: ${text}` }] }),
  );
  server.registerTool(
    `${workloadId}_whoami`,
    { description: "Names the backend session serving the call" },
    async (extra) => ({
      content: [{ type: "text", text: `${workloadId}|${extra.sessionId ?? ""}` }],
    }),
  );
  server.registerTool(
    `${workloadId}_steps`,
    { description: "progress and logs", inputSchema: { count: z.number().int().min(0) } },
    async ({ count }, extra) => {
      const progressToken = extra._meta?.progressToken;
      for (let i = 1; i <= count; i++) {
        if (progressToken !== undefined) {
          await extra.sendNotification({
            method: "notifications/progress",
            params: { progressToken, progress: i, total: count, message: `step ${i}` },
          });
        }
        await extra.sendNotification({
          method: "notifications/message",
          params: { level: "info", data: `log ${i}` },
        });
      }
      return { content: [{ type: "text", text: `${count} steps done` }] };
    },
  );
  server.registerTool(`${workloadId}_ask`, { description: "asks for a sample" }, async (extra) => {
    try {
      const answer = await extra.sendRequest(
        {
          method: "sampling/createMessage",
          params: {
            messages: [{ role: "user", content: { type: "text", text: "hi" } }],
            maxTokens: 5,
          },
        },
        CreateMessageResultSchema,
      );
      return { content: [{ type: "text", text: JSON.stringify(answer.content) }] };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      return {
        content: [{ type: "text", text: `${AskFailedPrefix}${String(code)} ${String(error)}` }],
      };
    }
  });
  server.server.oninitialized = () => {
    if (server.server.getClientCapabilities()?.sampling === undefined) return;
    server.registerTool(`${workloadId}_sample`, { description: "needs sampling" }, async () => ({
      content: [{ type: "text", text: "sampling tool" }],
    }));
  };
  return server;
}
