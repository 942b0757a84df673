/**
 * `pnpm bench` (issue 21): a 2026-07-28 `tools/call` to a 2025-era backend through the gateway,
 * with the caller's pooled backend session (an identified caller: the backend session is made
 * once and reused by every call) against a backend session made for each call (an anonymous
 * caller: `initialize`, the call, then the backend session ended, per request). Two backends,
 * each behind a pair of gateways of its own: an SDK v1 server on loopback HTTP (in this process),
 * and the SDK v1 stdio test backend (a process per backend session). The gateways (memory
 * store) and the SDK v2 clients pinned to 2026-07-28 run in this process too, so the ratios come
 * from one process. Prints a ratio table (aim: throughput ratio >= 5). `BENCH_POOLED_OPS` (calls
 * per run through a pooled session, default 1000), `BENCH_PER_CALL_OPS` (calls per run with a
 * backend session each, default 200 over HTTP, a fifth of it over stdio),
 * `BENCH_POOLED_CLIENTS` (concurrent clients, default 8) and `BENCH_ROUNDS` (alternating rounds,
 * default 3) change the size.
 */
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import {
  formatRatioTable,
  type Measurement,
  measure,
  type RatioRow,
  summarizeRounds,
  summaryRows,
} from "@vmcp/bench-kit";
import { startMcpBackend, startRemoteJsonBackends, stdioBackendScript } from "@vmcp/test-support";
import { validateGatewayConfig } from "../dist/config/load-config.js";
import { type RunningGateway, startGateway } from "../dist/gateway.js";
import { createLogger } from "../dist/logger.js";

const PooledOps = Number(process.env.BENCH_POOLED_OPS ?? 1000);
const PerCallOps = Number(process.env.BENCH_PER_CALL_OPS ?? 200);
const Clients = Number(process.env.BENCH_POOLED_CLIENTS ?? 8);
const Rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const Token = "bench-token";

/** One backend's tool call, and what it answers. */
interface Target {
  readonly label: string;
  readonly backend: Record<string, unknown>;
  readonly tool: string;
  readonly expect: (i: number, text: string | undefined) => boolean;
  readonly perCallOps: number;
}

function gateway(raw: Record<string, unknown>): Promise<RunningGateway> {
  const config = validateGatewayConfig({ port: 0, logLevel: "error", ...raw });
  return startGateway(config, createLogger("error"));
}

async function connect(url: string, token?: string): Promise<Client> {
  const client = new Client(
    { name: "bench-pooled", version: "1.0.0" },
    { versionNegotiation: { mode: { pin: "2026-07-28" } } },
  );
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      requestInit: token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

function callTool(clients: readonly Client[], target: Target, ops: number): Promise<Measurement> {
  return measure(
    ops,
    async (i) => {
      const client = clients[i % clients.length];
      if (client === undefined) throw new Error("no client");
      const result = (await client.request({
        method: "tools/call",
        params: { name: target.tool, arguments: { text: `t${i}` } },
      })) as { content?: { text?: string }[] };
      if (!target.expect(i, result.content?.[0]?.text)) {
        throw new Error(`${target.tool}(${i}): unexpected result ${JSON.stringify(result)}`);
      }
    },
    { concurrency: Clients, recordLatency: true },
  );
}

/** Both gateways of `target`, their clients, and the rounds' rows. */
async function compare(target: Target, closing: (() => Promise<void>)[]): Promise<RatioRow[]> {
  const backends = [target.backend];
  const pooled = await gateway({
    backends,
    identity: { kind: "static", tokens: { [Token]: { issuer: "bench", subject: "caller" } } },
  });
  const perCall = await gateway({ backends });
  closing.push(
    () => pooled.close(),
    () => perCall.close(),
  );
  const viaPool = await Promise.all(
    Array.from({ length: Clients }, () => connect(pooled.url, Token)),
  );
  const eachCall = await Promise.all(Array.from({ length: Clients }, () => connect(perCall.url)));
  closing.unshift(async () => {
    await Promise.all([...viaPool, ...eachCall].map((c) => c.close().catch(() => undefined)));
  });
  const runs = { pooled: [] as Measurement[], perCall: [] as Measurement[] };
  for (let round = 0; round < Rounds; round++) {
    runs.perCall.push(await callTool(eachCall, target, target.perCallOps));
    runs.pooled.push(await callTool(viaPool, target, PooledOps));
  }
  return summaryRows(target.label, summarizeRounds(runs.pooled), summarizeRounds(runs.perCall), {
    unit: "calls/s",
    throughputAtLeast: 5,
  });
}

async function main(): Promise<void> {
  const http = await startMcpBackend("legacy");
  const remote = await startRemoteJsonBackends(1);
  const closing: (() => Promise<void>)[] = [];
  try {
    process.stdout.write(
      `2026-07-28 tools/call to a 2025-era backend, ${Clients} concurrent SDK v2 clients, ${PooledOps} pooled calls per run, medians of ${Rounds} alternating rounds\n\n`,
    );
    const rows = [
      ...(await compare(
        {
          label: "HTTP (SDK v1, loopback)",
          backend: { workloadId: "legacy", url: http.url },
          tool: "echo",
          expect: (i, text) => text === `legacy:t${i}`,
          perCallOps: PerCallOps,
        },
        closing,
      )),
      ...(await compare(
        {
          label: "HTTP (no SDK, own process)",
          backend: { workloadId: "remote", url: remote.urls[0] },
          tool: "add",
          expect: () => true,
          perCallOps: PerCallOps,
        },
        closing,
      )),
      ...(await compare(
        {
          label: "stdio (SDK v1)",
          backend: { workloadId: "stdio", command: process.execPath, args: [stdioBackendScript] },
          tool: "shout",
          expect: (i, text) => text?.startsWith(`T${i} from `) === true,
          perCallOps: Math.max(1, Math.round(PerCallOps / 5)),
        },
        closing,
      )),
    ];
    process.stdout.write(
      `${formatRatioTable("pooled backend session (value) vs a backend session per call (baseline)", rows)}\n`,
    );
    process.stdout.write(
      `HTTP backend initialize requests: ${http.initializeCount} (per-call: one each; pooled: one, plus one era probe)\n`,
    );
  } finally {
    for (const close of closing) await close().catch(() => undefined);
    await Promise.all([http.close(), remote.close()]);
  }
}

await main();
