/**
 * `pnpm bench`: tools/call throughput and p50/p99 latency through the gateway against calling
 * the backend directly, in one run, with 32 concurrent SDK clients; then the same through two
 * gateway replicas sharing one Redis, requests round-robin. Every server is its own process
 * on loopback. Prints ratio tables (aim: throughput ratio >= 0.5).
 */
import type { ChildProcess } from "node:child_process";
import type { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  formatRatioTable,
  type Measurement,
  type RoundsSummary,
  summarizeRounds,
  summaryRows,
} from "@vmcp/bench-kit";
import { startRedisServer } from "@vmcp/redis-harness";
import { spawnDemoBackend } from "../dist/demo-backends/spawn-backend.js";
import { callAdd, connectClient } from "./add-calls.js";
import { startGateway } from "./gateway-process.js";

const Clients = 32;
const Ops = Number(process.env.BENCH_OPS ?? 3000);
const Rounds = Number(process.env.BENCH_ROUNDS ?? 3);

function rows(label: string, value: RoundsSummary, baseline: RoundsSummary) {
  return summaryRows(label, value, baseline, { unit: "calls/s", throughputAtLeast: 0.5 });
}

async function main(): Promise<void> {
  const backend = await spawnDemoBackend("alpha");
  const redis = await startRedisServer();
  const children: ChildProcess[] = [];
  const transports: StreamableHTTPClientTransport[] = [];
  try {
    // Every bench client connects from 127.0.0.1 as one anonymous caller: lift the per-caller
    // initialize rate and session caps, which would refuse the 33rd client with 429.
    const oneCaller = [
      "--initialize-burst",
      String(Clients * 2),
      "--initialize-per-minute",
      String(Clients * 60),
      "--max-sessions-per-caller",
      String(Clients * 2),
    ];
    const memory = await startGateway(["--backend", `alpha=${backend.url}`, ...oneCaller], "warn");
    const shared = [
      ...oneCaller,
      "--store",
      "redis",
      "--redis-url",
      redis.url,
      "--backend",
      `alpha=${backend.url}`,
    ];
    const replicaA = await startGateway(shared, "warn");
    const replicaB = await startGateway(shared, "warn");
    children.push(memory.child, replicaA.child, replicaB.child);

    const direct = await Promise.all(
      Array.from({ length: Clients }, () => connectClient(backend.url)),
    );
    const viaGateway = await Promise.all(
      Array.from({ length: Clients }, () => connectClient(`${memory.url}/mcp`)),
    );
    const onA = await Promise.all(
      Array.from({ length: Clients }, () => connectClient(`${replicaA.url}/mcp`)),
    );
    const onB = await Promise.all(
      onA.map((c) => connectClient(`${replicaB.url}/mcp`, c.transport.sessionId)),
    );
    for (const c of [...direct, ...viaGateway, ...onA, ...onB]) transports.push(c.transport);
    // Round-robin: consecutive calls of one session alternate between the replicas.
    const roundRobin = onA.flatMap((c, i) => [c.client, onB[i]?.client ?? c.client]);

    process.stdout.write(
      `tools/call "add", ${Clients} concurrent clients, ${Ops} calls per run, medians of ${Rounds} alternating rounds\n\n`,
    );
    const runs = {
      direct: [] as Measurement[],
      gateway: [] as Measurement[],
      replicas: [] as Measurement[],
    };
    for (let round = 0; round < Rounds; round++) {
      runs.direct.push(
        await callAdd(
          direct.map((c) => c.client),
          Ops,
          Clients,
        ),
      );
      runs.gateway.push(
        await callAdd(
          viaGateway.map((c) => c.client),
          Ops,
          Clients,
        ),
      );
      runs.replicas.push(await callAdd(roundRobin, Ops, Clients));
    }
    const baseline1 = summarizeRounds(runs.direct);
    const baseline2 = baseline1;
    const gateway = summarizeRounds(runs.gateway);
    const replicas = summarizeRounds(runs.replicas);
    process.stdout.write(
      `${formatRatioTable("gateway (memory store) vs the backend directly", rows("1 gateway, memory", gateway, baseline1))}\n\n`,
    );
    process.stdout.write(
      `${formatRatioTable("2 replicas sharing Redis, round-robin, vs the backend directly", rows("2 replicas, redis", replicas, baseline2))}\n`,
    );
  } finally {
    await Promise.all(transports.map((t) => t.close().catch(() => undefined)));
    for (const child of children) child.kill("SIGTERM");
    await backend.stop();
    await redis.close();
  }
}

await main();
