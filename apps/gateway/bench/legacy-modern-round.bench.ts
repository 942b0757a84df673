/**
 * `pnpm bench` (issue 21, part 3): a 2025-era client's `tools/call` to a modern-only backend that
 * answers `input_required` once, through one gateway, against a 2026-07-28 client doing the same
 * round directly with the backend. Both clients are SDK v2 with the same elicitation handler:
 * through the gateway one speaks 2025-11-25 (`versionNegotiation: { mode: "legacy" }`: a
 * session, and the gateway's `elicitation/create` on the call's response stream, answered with a
 * POST), directly one is pinned to 2026-07-28 and its own `inputRequired.autoFulfill` driver
 * answers the round and retries. Each call is two backend requests either way. Every server is
 * its own process on loopback (the backend: `modern-backend-process.ts`, its `add_confirmed` tool). Prints a ratio
 * table (aim: throughput ratio >= 0.3: the gateway adds a hop for each backend request and the
 * client's answer). `BENCH_ROUND_OPS` (calls per run, default 1000), `BENCH_ROUND_CLIENTS`
 * (concurrent clients, default 16) and `BENCH_ROUNDS` (alternating rounds, default 3) change the
 * size.
 */
import type { ChildProcess } from "node:child_process";
import type { Client } from "@modelcontextprotocol/client";
import { formatRatioTable, type Measurement, summarizeRounds, summaryRows } from "@vmcp/bench-kit";
import { spawnBackendProcess, startGateway } from "./gateway-process.js";
import { closeV2Client, connectV2Client, measureSumCalls } from "./v2-clients.js";

const Clients = Number(process.env.BENCH_ROUND_CLIENTS ?? 16);
const Ops = Number(process.env.BENCH_ROUND_OPS ?? 1000);
const Rounds = Number(process.env.BENCH_ROUNDS ?? 3);

/** An SDK v2 client in `era` that accepts every elicitation. */
const connect = (url: string, era: "legacy" | "modern") =>
  connectV2Client(url, { name: `bench-round-${era}`, era, acceptsElicitation: true });
const callWithRound = (clients: readonly Client[]) =>
  measureSumCalls(clients, "add_confirmed", Ops, Clients);

async function main(): Promise<void> {
  const backend = await spawnBackendProcess("modern-backend-process");
  const children: ChildProcess[] = [backend.child];
  const clients: Client[] = [];
  try {
    const gateway = await startGateway(["--backend", `modern=${backend.url}`], "warn");
    children.push(gateway.child);
    const direct = await Promise.all(
      Array.from({ length: Clients }, () => connect(backend.url, "modern")),
    );
    const via = await Promise.all(
      Array.from({ length: Clients }, () => connect(`${gateway.url}/mcp`, "legacy")),
    );
    clients.push(...direct, ...via);
    process.stdout.write(
      `tools/call with one input_required round (an elicitation), ${Clients} concurrent SDK v2 clients, ${Ops} calls per run, medians of ${Rounds} alternating rounds\n\n`,
    );
    const runs = { direct: [] as Measurement[], gateway: [] as Measurement[] };
    for (let round = 0; round < Rounds; round++) {
      runs.direct.push(await callWithRound(direct));
      runs.gateway.push(await callWithRound(via));
    }
    const rows = summaryRows(
      "2025-era client via 1 gateway, memory",
      summarizeRounds(runs.gateway),
      summarizeRounds(runs.direct),
      { unit: "calls/s", throughputAtLeast: 0.3 },
    );
    process.stdout.write(
      `${formatRatioTable("A 2025-era client to a modern backend with one input round, through the gateway vs a 2026-07-28 client directly", rows)}\n`,
    );
  } finally {
    await Promise.all(clients.map(closeV2Client));
    for (const child of children) child.kill("SIGTERM");
  }
}

await main();
