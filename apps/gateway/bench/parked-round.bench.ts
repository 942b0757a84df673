/**
 * `pnpm bench` (issue 21, part 2): one elicitation round of a 2026-07-28 client with a 2025-era
 * backend whose tool asks for input mid-call: the first `tools/call` parks the backend call and
 * answers `input_required`, the retry brings the answer and gets the result. Its retry lands on
 * the other replica than the one holding the parked call (the answers cross the Redis bus to the
 * holder, the result comes back), against the same replica (resumed in place). Two gateways on
 * one Redis (started here), an SDK v1 backend on loopback HTTP and SDK v2 clients pinned to
 * 2026-07-28, all in this process, so the ratios come from one process. Prints p50 and p99 of a
 * whole round and their ratio. `BENCH_ROUND_OPS` (rounds per run, default 200),
 * `BENCH_ROUND_CLIENTS` (concurrent rounds, default 4) and `BENCH_ROUNDS` (alternating runs,
 * default 3) change the size.
 */
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ElicitResultSchema } from "@modelcontextprotocol/sdk/types.js";
import {
  formatRatioTable,
  type Measurement,
  measure,
  summarizeRounds,
  summaryRows,
} from "@vmcp/bench-kit";
import { startRedisServer } from "@vmcp/redis-harness";
import { startMcpBackend } from "@vmcp/test-support";
import { validateGatewayConfig } from "../dist/config/load-config.js";
import { type RunningGateway, startGateway } from "../dist/gateway.js";
import { createLogger } from "../dist/logger.js";

const Ops = Number(process.env.BENCH_ROUND_OPS ?? 200);
const Clients = Number(process.env.BENCH_ROUND_CLIENTS ?? 4);
const Rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const Token = "bench-token";

type Result = Record<string, unknown>;

/** A 2025-era server whose `ask` tool asks its client for a value (form elicitation) mid-call. */
function askingServer(): McpServer {
  const server = new McpServer({ name: "asking", version: "1.0.0" });
  server.registerTool("ask", { description: "asks for a value" }, async (extra) => {
    const answer = await extra.sendRequest(
      {
        method: "elicitation/create",
        params: {
          message: "a value?",
          requestedSchema: { type: "object", properties: { v: { type: "string" } } },
        },
      },
      ElicitResultSchema,
    );
    return { content: [{ type: "text", text: `got ${String(answer.content?.v)}` }] };
  });
  return server;
}

async function connect(url: string): Promise<Client> {
  const client = new Client(
    { name: "bench-parked", version: "1.0.0" },
    {
      versionNegotiation: { mode: { pin: "2026-07-28" } },
      inputRequired: { autoFulfill: false },
      capabilities: { elicitation: { form: {} } },
    },
  );
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${Token}` } },
    }),
  );
  return client;
}

/** One round: the first call through `first`, the retry through `retry`. */
async function round(first: Client, retry: Client, i: number): Promise<void> {
  const ask = (client: Client, extra: Result) =>
    client.request(
      { method: "tools/call", params: { name: "ask", arguments: {}, ...extra } },
      { allowInputRequired: true },
    ) as Promise<Result>;
  const parked = await ask(first, {});
  const [key] = Object.keys((parked.inputRequests ?? {}) as Result);
  if (parked.resultType !== "input_required" || key === undefined) {
    throw new Error(`round ${i}: no input round: ${JSON.stringify(parked)}`);
  }
  const done = await ask(retry, {
    inputResponses: { [key]: { action: "accept", content: { v: `v${i}` } } },
    requestState: parked.requestState,
  });
  const text = (done.content as { text?: string }[] | undefined)?.[0]?.text;
  if (text !== `got v${i}`) throw new Error(`round ${i}: unexpected ${JSON.stringify(done)}`);
}

function run(firsts: readonly Client[], retries: readonly Client[]): Promise<Measurement> {
  return measure(
    Ops,
    (i) => round(firsts[i % Clients] as Client, retries[i % Clients] as Client, i),
    { concurrency: Clients, recordLatency: true },
  );
}

async function main(): Promise<void> {
  const [redis, backend] = await Promise.all([
    startRedisServer(),
    startMcpBackend("legacy", { makeServer: askingServer }),
  ]);
  const gateways: RunningGateway[] = [];
  const clients: Client[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      const config = validateGatewayConfig({
        port: 0,
        logLevel: "error",
        store: { kind: "redis", url: redis.url },
        bindingSecret: "parked-round-bench-binding-secret",
        identity: { kind: "static", tokens: { [Token]: { issuer: "bench", subject: "caller" } } },
        backends: [{ workloadId: "legacy", url: backend.url }],
      });
      gateways.push(await startGateway(config, createLogger("error")));
    }
    const [one, two] = gateways as [RunningGateway, RunningGateway];
    const onOne = await Promise.all(Array.from({ length: Clients }, () => connect(one.url)));
    const onTwo = await Promise.all(Array.from({ length: Clients }, () => connect(two.url)));
    clients.push(...onOne, ...onTwo);
    process.stdout.write(
      `one elicitation round (tools/call → input_required → retry → result) of a 2026-07-28 client with a 2025-era backend, two replicas on Redis, ${Clients} concurrent rounds, ${Ops} rounds per run, medians of ${Rounds} alternating runs\n\n`,
    );
    const runs = { same: [] as Measurement[], other: [] as Measurement[] };
    for (let r = 0; r < Rounds; r++) {
      runs.same.push(await run(onOne, onOne));
      runs.other.push(await run(onOne, onTwo));
    }
    const rows = summaryRows("round", summarizeRounds(runs.other), summarizeRounds(runs.same), {
      unit: "rounds/s",
      throughputAtLeast: 0.5,
    });
    process.stdout.write(
      `${formatRatioTable("retry on the other replica (value) vs on the replica holding the call (baseline)", rows)}\n`,
    );
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    for (const g of gateways) await g.close().catch(() => undefined);
    await backend.close();
    await redis.close();
  }
}

await main();
