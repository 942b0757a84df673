/**
 * `pnpm bench` (issue 20): a 2026-07-28 `tools/call` through one gateway against calling the
 * modern backend directly, with SDK v2 clients pinned to 2026-07-28 (`versionNegotiation:
 * { mode: { pin } }`). Each call through the gateway is classified at the POST edge, served by
 * the SDK's modern handler and relayed through an SDK v2 client made for that call
 * (`connect({ prior })`, no round trip but the call). Every server is its own process on loopback
 * (the backend: `modern-backend-process.ts`, a modern-only `createMcpHandler`). Prints a ratio
 * table (aim: throughput ratio >= 0.6). `BENCH_MODERN_OPS` (calls per run, default 3000),
 * `BENCH_MODERN_CLIENTS` (concurrent clients, default 32) and `BENCH_ROUNDS` (alternating rounds,
 * default 3) change the size.
 */
import type { ChildProcess } from "node:child_process";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import {
  formatRatioTable,
  type Measurement,
  measure,
  summarizeRounds,
  summaryRows,
} from "@vmcp/bench-kit";
import { spawnBackendProcess, startGateway } from "./gateway-process.js";

const Clients = Number(process.env.BENCH_MODERN_CLIENTS ?? 32);
const Ops = Number(process.env.BENCH_MODERN_OPS ?? 3000);
const Rounds = Number(process.env.BENCH_ROUNDS ?? 3);

async function connect(url: string): Promise<Client> {
  const client = new Client(
    { name: "bench-modern", version: "1.0.0" },
    { versionNegotiation: { mode: { pin: "2026-07-28" } } },
  );
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

function callAdd(clients: readonly Client[]): Promise<Measurement> {
  return measure(
    Ops,
    async (i) => {
      const client = clients[i % clients.length];
      if (client === undefined) throw new Error("no client");
      const result = (await client.request({
        method: "tools/call",
        params: { name: "add", arguments: { a: i, b: 1 } },
      })) as { content?: { text?: string }[] };
      if (result.content?.[0]?.text !== String(i + 1)) {
        throw new Error(`add(${i}, 1): unexpected result ${JSON.stringify(result)}`);
      }
    },
    { concurrency: Clients, recordLatency: true },
  );
}

async function main(): Promise<void> {
  const backend = await spawnBackendProcess("modern-backend-process");
  const children: ChildProcess[] = [backend.child];
  const clients: Client[] = [];
  try {
    const gateway = await startGateway(["--backend", `modern=${backend.url}`], "warn");
    children.push(gateway.child);
    const direct = await Promise.all(Array.from({ length: Clients }, () => connect(backend.url)));
    const via = await Promise.all(
      Array.from({ length: Clients }, () => connect(`${gateway.url}/mcp`)),
    );
    clients.push(...direct, ...via);
    process.stdout.write(
      `2026-07-28 tools/call "add", ${Clients} concurrent SDK v2 clients, ${Ops} calls per run, medians of ${Rounds} alternating rounds\n\n`,
    );
    const runs = { direct: [] as Measurement[], gateway: [] as Measurement[] };
    for (let round = 0; round < Rounds; round++) {
      runs.direct.push(await callAdd(direct));
      runs.gateway.push(await callAdd(via));
    }
    const rows = summaryRows(
      "1 gateway, memory",
      summarizeRounds(runs.gateway),
      summarizeRounds(runs.direct),
      { unit: "calls/s", throughputAtLeast: 0.6 },
    );
    process.stdout.write(
      `${formatRatioTable("2026-07-28 tools/call through the gateway vs the modern backend directly", rows)}\n`,
    );
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    for (const child of children) child.kill("SIGTERM");
  }
}

await main();
