import { completable } from "@modelcontextprotocol/sdk/server/completable.js";
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ElicitResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { startMcpBackend, type TestBackend } from "@vmcp/test-support";
import { z } from "zod";

/**
 * Starts an SDK v1 (2025-11-25 only) backend named `workloadId` with the same surface as the
 * SDK v2 fixture of `startModernBackend`, so one era-matrix cell checks every backend alike:
 * - tool `<id>_steps` (`count` progress notifications under the caller's token, then
 *   `<count> steps done`) and `echo`;
 * - prompt `<id>_greet` (argument `name`, completable from `ann`, `anna`, `bob`), answering
 *   `<id> greets <name>`;
 * - resource `<id>://readme` (`<id> readme`) and template `<id>://items/{item}` (`<id> item
 *   <item>`, `item` completable from `1`, `2`, `3`);
 * - tool `<id>_ask`: asks its client (form elicitation, mid-call) for a name, then for a colour,
 *   and answers `<name> likes <colour>`.
 * Stateful (a backend session per gateway session), on loopback HTTP.
 */
export function startV1MatrixBackend(workloadId: string): Promise<TestBackend> {
  return startMcpBackend(workloadId, { makeServer: () => matrixServer(workloadId) });
}

function matrixServer(workloadId: string): McpServer {
  const server = new McpServer({ name: `v1-${workloadId}`, version: "1.0.0" });
  server.registerTool(
    "echo",
    { description: `${workloadId} echo`, inputSchema: { text: z.string() } },
    async ({ text }) => ({ content: [{ type: "text", text: `${workloadId}: ${text}` }] }),
  );
  server.registerTool(
    `${workloadId}_steps`,
    { description: "progress", inputSchema: { count: z.number().int() } },
    async ({ count }, extra) => {
      const token = extra._meta?.progressToken;
      for (let i = 1; i <= count; i++) {
        if (token === undefined) continue;
        await extra.sendNotification({
          method: "notifications/progress",
          params: { progressToken: token, progress: i, total: count, message: `step ${i}` },
        });
      }
      return { content: [{ type: "text", text: `${count} steps done` }] };
    },
  );
  server.registerTool(`${workloadId}_ask`, { description: "asks twice" }, async (extra) => {
    const ask = async (field: string) => {
      const answer = await extra.sendRequest(
        {
          method: "elicitation/create",
          params: {
            message: `${workloadId} wants a ${field}`,
            requestedSchema: { type: "object", properties: { [field]: { type: "string" } } },
          },
        },
        ElicitResultSchema,
      );
      return String(answer.content?.[field] ?? answer.action);
    };
    const name = await ask("name");
    const colour = await ask("colour");
    return { content: [{ type: "text", text: `${name} likes ${colour}` }] };
  });
  server.registerPrompt(
    `${workloadId}_greet`,
    {
      description: "greets",
      argsSchema: {
        name: completable(z.string(), (value) =>
          ["ann", "anna", "bob"].filter((n) => n.startsWith(value)),
        ),
      },
    },
    ({ name }) => ({
      messages: [{ role: "user", content: { type: "text", text: `${workloadId} greets ${name}` } }],
    }),
  );
  server.registerResource(
    "readme",
    `${workloadId}://readme`,
    { mimeType: "text/plain" },
    async (uri) => ({ contents: [{ uri: uri.href, text: `${workloadId} readme` }] }),
  );
  server.registerResource(
    "items",
    new ResourceTemplate(`${workloadId}://items/{item}`, {
      list: undefined,
      complete: { item: (value) => ["1", "2", "3"].filter((v) => v.startsWith(value)) },
    }),
    { mimeType: "text/plain" },
    async (uri, { item }) => ({
      contents: [{ uri: uri.href, text: `${workloadId} item ${String(item)}` }],
    }),
  );
  return server;
}
