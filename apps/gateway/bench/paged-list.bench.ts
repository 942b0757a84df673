/**
 * `pnpm bench` (third part): a paged `tools/list` over 3 backends, through one gateway (memory
 * store, in this process) against listing the same 3 backends directly (3 SDK clients, same
 * process). Each backend is an SDK `McpServer` with 20 tools listed 5 per page, so a full walk is
 * 12 backend pages directly; through the gateway it is one page per backend page (a page ending
 * a backend shares its gateway page with the next backend's first page), and the first gateway
 * page walks every backend once to apply the name conflict rule. Sequential walks (one caller).
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ListToolsRequestSchema, type Tool } from "@modelcontextprotocol/sdk/types.js";
import { formatRatioTable, measure, median } from "@vmcp/bench-kit";
import { validateGatewayConfig } from "../dist/config/load-config.js";
import { serveBackendHttp } from "../dist/demo-backends/serve-backend.js";
import { startGateway } from "../dist/gateway.js";
import { createLogger } from "../dist/logger.js";

// The SDK clients' transports use the global fetch, which leaves one abort listener per request on
// the transport's long-lived signal until garbage collection: thousands of walks trip Node's
// listener warning on the bench clients (not the gateway). Keep the output to the table.
process.removeAllListeners("warning");
process.on("warning", (warning) => {
  if (warning.name !== "MaxListenersExceededWarning") process.stderr.write(`${warning.stack}\n`);
});

const Walks = Number(process.env.BENCH_LIST_WALKS ?? 300);
const Rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const ToolsPerBackend = 20;
const PageSize = 5;

function pagedServer(prefix: string): McpServer {
  const server = new McpServer({ name: prefix, version: "1.0.0" }, { capabilities: { tools: {} } });
  const tools: Tool[] = Array.from({ length: ToolsPerBackend }, (_, i) => ({
    name: `${prefix}-${i}`,
    description: `tool ${i} of ${prefix}`,
    inputSchema: { type: "object" },
  }));
  server.server.setRequestHandler(ListToolsRequestSchema, async (request) => {
    const start = Number(request.params?.cursor ?? 0);
    const end = start + PageSize;
    return {
      tools: tools.slice(start, end),
      ...(end < tools.length ? { nextCursor: String(end) } : {}),
    };
  });
  return server;
}

async function connect(url: string): Promise<Client> {
  const client = new Client({ name: "bench", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

/** Walks every page of `client`'s tools/list; resolves the number of tools seen. */
async function walk(client: Client): Promise<number> {
  let seen = 0;
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor === undefined ? {} : { cursor });
    seen += page.tools.length;
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return seen;
}

async function main(): Promise<void> {
  const backends = await Promise.all(
    ["b1", "b2", "b3"].map((p) => serveBackendHttp(() => pagedServer(p))),
  );
  const config = validateGatewayConfig({
    port: 0,
    logLevel: "error",
    backends: backends.map((b, i) => ({ workloadId: `w${i + 1}`, url: b.url })),
  });
  const gateway = await startGateway(config, createLogger("error"));
  const direct = await Promise.all(backends.map((b) => connect(b.url)));
  const viaGateway = await connect(`${gateway.url}/mcp`);
  const expected = ToolsPerBackend * backends.length;
  try {
    const runs = { direct: [] as number[], gateway: [] as number[] };
    for (let round = 0; round < Rounds; round++) {
      const d = await measure(Walks, async () => {
        let seen = 0;
        for (const client of direct) seen += await walk(client);
        if (seen !== expected) throw new Error(`direct walk saw ${seen} tools`);
      });
      const g = await measure(Walks, async () => {
        const seen = await walk(viaGateway);
        if (seen !== expected) throw new Error(`gateway walk saw ${seen} tools`);
      });
      runs.direct.push(d.opsPerSec);
      runs.gateway.push(g.opsPerSec);
    }
    process.stdout.write(
      `${formatRatioTable(
        `paged tools/list, 3 backends x ${ToolsPerBackend} tools, ${PageSize} per page; full walks, medians of ${Rounds} rounds`,
        [
          {
            name: "1 gateway, memory: full walks",
            value: median(runs.gateway),
            baseline: median(runs.direct),
            unit: "walks/s",
            aim: { atLeast: 0.25 },
          },
        ],
      )}\n`,
    );
  } finally {
    await Promise.all([...direct, viaGateway].map((c) => c.close().catch(() => undefined)));
    await gateway.close();
    await Promise.all(backends.map((b) => b.close()));
  }
}

await main();
