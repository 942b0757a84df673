import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";

/**
 * A factory of 2025-era SDK v1 servers for the change-event tests (one server per backend
 * session, as `startMcpBackend` serves them), for workload `workloadId`, declaring
 * `tools.listChanged`:
 * - `echo` → `<id>: grown <n>` (how many tools were grown so far);
 * - `<id>_grow` registers a new tool `<id>_grown_<n>` on the session's server, which sends the
 *   session `notifications/tools/list_changed` (the SDK does on a registration while connected),
 *   and answers `grown <id>_grown_<n>`. Servers made later (new backend sessions) list every
 *   tool grown before.
 */
export function makeGrowingServer(workloadId: string): McpServer {
  const server = new McpServer(
    { name: `growing-${workloadId}`, version: "1.0.0" },
    { capabilities: { tools: { listChanged: true } } },
  );
  const grown = grownOf(workloadId);
  const add = (name: string) =>
    server.registerTool(name, { description: "a grown tool" }, async () => ({
      content: [{ type: "text", text: name }],
    }));
  for (const name of grown) add(name);
  server.registerTool("echo", { description: "counts grown tools" }, async () => ({
    content: [{ type: "text", text: `${workloadId}: grown ${grown.length}` }],
  }));
  server.registerTool(`${workloadId}_grow`, { description: "grows a tool" }, async () => {
    const name = `${workloadId}_grown_${grown.length + 1}`;
    grown.push(name);
    add(name);
    return { content: [{ type: "text", text: `grown ${name}` }] };
  });
  return server;
}

const grownBy = new Map<string, string[]>();

function grownOf(workloadId: string): string[] {
  let list = grownBy.get(workloadId);
  if (list === undefined) {
    list = [];
    grownBy.set(workloadId, list);
  }
  return list;
}
