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
import type { Client } from "@modelcontextprotocol/client";
import { formatRatioTable, type Measurement, summarizeRounds, summaryRows } from "@vmcp/bench-kit";
import { spawnBackendProcess, startGateway } from "./gateway-process.js";
import { closeV2Client, connectV2Client, measureSumCalls } from "./v2-clients.js";

const Clients = Number(process.env.BENCH_MODERN_CLIENTS ?? 32);
const Ops = Number(process.env.BENCH_MODERN_OPS ?? 3000);
const Rounds = Number(process.env.BENCH_ROUNDS ?? 3);

const connect = (url: string) => connectV2Client(url, { name: "bench-modern", era: "modern" });
const callAdd = (clients: readonly Client[]) => measureSumCalls(clients, "add", Ops, Clients);

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
    await Promise.all(clients.map(closeV2Client));
    for (const child of children) child.kill("SIGTERM");
  }
}

await main();
