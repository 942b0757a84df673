/**
 * `node dist-bench/backend-fetch.bench.js`: the fetch that session-core's connector hands the
 * SDK's Streamable HTTP transport (`createNodeHttpFetch`, over `node:http` keep-alive agents)
 * against undici, both ways the issue asks about being ready-made:
 * - Node's global `fetch` (the undici bundled with Node, its global dispatcher);
 * - undici's own `fetch` with a keep-alive `Agent` dispatcher (the `undici` package).
 * (undici's `request` is not a fetch: the SDK transport takes a fetch, so using it would mean
 * writing a fetch adapter around it, which is what `node-http-fetch.ts` already is.)
 *
 * Each variant drives the real SDK client (`StreamableHTTPClientTransport` with that `fetch`)
 * making `tools/call` against the same minimal JSON backend, which runs in a child process so
 * this process holds only the client side. Variants alternate in rounds in this one process;
 * the table shows medians: throughput, and CPU of this process per call (user + system, µs).
 * Aim: undici within 5% of ours (throughput >= 0.95, CPU <= 1.05) to replace it.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { formatRatioTable, measure, median } from "@vmcp/bench-kit";
import { startRemoteJsonBackends } from "@vmcp/test-support";
import { Agent, fetch as undiciFetch } from "undici";

type FetchLike = (url: string | URL, init?: RequestInit) => Promise<Response>;

const Clients = 8;
const Concurrency = 32;
const Ops = Number(process.env.BENCH_OPS ?? 4000);
const Rounds = Number(process.env.BENCH_ROUNDS ?? 5);

/** session-core's internal fetch: not exported, so loaded from beside its entry (bench only). */
async function loadNodeHttpFetch(): Promise<() => FetchLike> {
  const entry = import.meta.resolve("@vmcp/session-core");
  const module = (await import(new URL("./node-http-fetch.js", entry).href)) as {
    createNodeHttpFetch: () => FetchLike;
  };
  return module.createNodeHttpFetch;
}

async function clientsOver(url: string, fetch: FetchLike): Promise<Client[]> {
  return Promise.all(
    Array.from({ length: Clients }, async () => {
      const client = new Client({ name: "bench", version: "1.0.0" });
      await client.connect(new StreamableHTTPClientTransport(new URL(url), { fetch }));
      return client;
    }),
  );
}

interface Run {
  readonly opsPerSec: number;
  readonly cpuUsPerCall: number;
}

async function run(clients: readonly Client[]): Promise<Run> {
  const before = process.cpuUsage();
  const measured = await measure(
    Ops,
    async (i) => {
      const client = clients[i % clients.length];
      if (client === undefined) throw new Error("no client");
      await client.callTool({ name: "add", arguments: { a: i, b: 1 } });
    },
    { concurrency: Concurrency, warmupOps: Math.ceil(Ops / 5) },
  );
  const cpu = process.cpuUsage(before);
  // The CPU covers the warm-up too: (ops + warm-up) calls.
  const calls = Ops + Math.ceil(Ops / 5);
  return { opsPerSec: measured.opsPerSec, cpuUsPerCall: (cpu.user + cpu.system) / calls };
}

async function main(): Promise<void> {
  const backends = await startRemoteJsonBackends(1);
  const url = backends.urls[0];
  if (url === undefined) throw new Error("no backend");
  const createNodeHttpFetch = await loadNodeHttpFetch();
  const agent = new Agent({ keepAliveTimeout: 4_000 });
  const dispatcherFetch: FetchLike = (input, init) =>
    undiciFetch(input, {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher: agent,
    }) as unknown as Promise<Response>;
  const variants = {
    ours: await clientsOver(url, createNodeHttpFetch()),
    global: await clientsOver(url, (input, init) => fetch(input, init)),
    dispatcher: await clientsOver(url, dispatcherFetch),
  };
  const runs: Record<keyof typeof variants, Run[]> = { ours: [], global: [], dispatcher: [] };
  try {
    process.stdout.write(
      `tools/call through the SDK client, ${Clients} clients, ${Concurrency} in flight, ${Ops} calls per run, medians of ${Rounds} alternating rounds\n\n`,
    );
    for (let round = 0; round < Rounds; round++) {
      for (const name of Object.keys(variants) as Array<keyof typeof variants>) {
        runs[name].push(await run(variants[name]));
      }
    }
    const ops = (name: keyof typeof variants) => median(runs[name].map((r) => r.opsPerSec));
    const cpu = (name: keyof typeof variants) => median(runs[name].map((r) => r.cpuUsPerCall));
    const rows = (label: string, name: "global" | "dispatcher") => [
      {
        name: `${label}: throughput`,
        value: ops(name),
        baseline: ops("ours"),
        unit: "calls/s",
        aim: { atLeast: 0.95 },
      },
      {
        name: `${label}: CPU per call`,
        value: cpu(name),
        baseline: cpu("ours"),
        unit: "µs",
        aim: { atMost: 1.05 },
      },
    ];
    process.stdout.write(
      `${formatRatioTable("backend fetch: undici vs node-http-fetch (baseline)", [
        ...rows("global fetch (Node's undici)", "global"),
        ...rows("undici fetch + Agent dispatcher", "dispatcher"),
      ])}\n`,
    );
  } finally {
    for (const clients of Object.values(variants)) {
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    }
    await agent.close();
    await backends.close();
  }
}

await main();
