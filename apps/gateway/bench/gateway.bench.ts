/**
 * `pnpm bench`: tools/call throughput and p50/p99 latency through the gateway against calling
 * the backend directly, in one run, with 32 concurrent SDK clients; then the same through two
 * gateway replicas sharing one Redis, requests round-robin. Every server is its own process
 * on loopback. Prints ratio tables (aim: throughput ratio >= 0.5).
 */
import type { ChildProcess } from "node:child_process";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { formatRatioTable, type Measurement, measure, median, percentile } from "@vmcp/bench-kit";
import { startRedisServer } from "@vmcp/redis-harness";
import { spawnDemoBackend } from "../dist/demo-backends/spawn-backend.js";
import { startGateway } from "./gateway-process.js";

const Clients = 32;
const Ops = Number(process.env.BENCH_OPS ?? 3000);
const Rounds = Number(process.env.BENCH_ROUNDS ?? 3);

async function connect(
  url: string,
  sessionId?: string,
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(
    new URL(url),
    sessionId === undefined ? {} : { sessionId },
  );
  const client = new Client({ name: "bench", version: "1.0.0" });
  await client.connect(transport);
  return { client, transport };
}

async function run(clients: readonly Client[]): Promise<Measurement> {
  return measure(
    Ops,
    async (i) => {
      const client = clients[i % clients.length];
      if (client === undefined) throw new Error("no client");
      const result = await client.callTool({ name: "add", arguments: { a: i, b: 1 } });
      if (result.isError === true) throw new Error("tool call failed");
    },
    { concurrency: Clients, recordLatency: true, warmupOps: Math.ceil(Ops / 5) },
  );
}

/** Medians over rounds of throughput, p50 and p99. */
interface Summary {
  readonly opsPerSec: number;
  readonly p50: number;
  readonly p99: number;
}

function summarize(runs: readonly Measurement[]): Summary {
  return {
    opsPerSec: median(runs.map((r) => r.opsPerSec)),
    p50: median(runs.map((r) => percentile(r.latenciesMs, 50))),
    p99: median(runs.map((r) => percentile(r.latenciesMs, 99))),
  };
}

function rows(label: string, value: Summary, baseline: Summary) {
  return [
    {
      name: `${label}: throughput`,
      value: value.opsPerSec,
      baseline: baseline.opsPerSec,
      unit: "calls/s",
      aim: { atLeast: 0.5 },
    },
    { name: `${label}: p50 latency`, value: value.p50, baseline: baseline.p50, unit: "ms" },
    { name: `${label}: p99 latency`, value: value.p99, baseline: baseline.p99, unit: "ms" },
  ];
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

    const direct = await Promise.all(Array.from({ length: Clients }, () => connect(backend.url)));
    const viaGateway = await Promise.all(
      Array.from({ length: Clients }, () => connect(`${memory.url}/mcp`)),
    );
    const onA = await Promise.all(
      Array.from({ length: Clients }, () => connect(`${replicaA.url}/mcp`)),
    );
    const onB = await Promise.all(
      onA.map((c) => connect(`${replicaB.url}/mcp`, c.transport.sessionId)),
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
      runs.direct.push(await run(direct.map((c) => c.client)));
      runs.gateway.push(await run(viaGateway.map((c) => c.client)));
      runs.replicas.push(await run(roundRobin));
    }
    const baseline1 = summarize(runs.direct);
    const baseline2 = baseline1;
    const gateway = summarize(runs.gateway);
    const replicas = summarize(runs.replicas);
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
