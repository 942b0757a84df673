/**
 * `pnpm bench` (issue 21): a 2026-07-28 `tools/call` to a 2025-era backend through the gateway,
 * with the caller's pooled backend session (an identified caller: the backend session is made
 * once and reused by every call) against a backend session made for each call (an anonymous
 * caller: `initialize`, the call, then the backend session ended, per request). Four backends,
 * each behind a pair of gateways of its own: an SDK v1 server on loopback HTTP (in this process);
 * the same SDK v1 server (a second instance) reached through a TCP proxy in this process that
 * delays every chunk `BENCH_BACKEND_DELAY_MS` each way (default 5 ms: a backend in another zone,
 * 10 ms round trip, plus one round trip per new TCP connection; `bench/delay-proxy.ts`), where
 * the backend session's own round trips (`initialize`, `notifications/initialized`, the GET
 * stream, the `DELETE`) cost what they would over a network; a no-SDK JSON backend in a process
 * of its own on loopback; and the SDK v1 stdio test backend (a process per backend session). The
 * gateways (memory store) and the SDK v2 clients pinned to 2026-07-28 run in this process too, so
 * the ratios come from one process. The distant backend is measured twice: with the concurrent
 * clients (the gateway's CPU, not the network, bounds the throughput on a small machine) and with
 * one client (a tenth of the pooled calls and a quarter of the per-call ones), where each call's
 * latency is mostly its round trips. Prints a ratio table (aim: throughput ratio >= 5).
 * `BENCH_POOLED_OPS` (calls per run through a pooled session, default 1000),
 * `BENCH_PER_CALL_OPS` (calls per run with a backend session each, default 200 over HTTP, a fifth
 * of it over stdio), `BENCH_POOLED_CLIENTS` (concurrent clients, default 8), `BENCH_ROUNDS`
 * (alternating rounds, default 3) and `BENCH_BACKEND_DELAY_MS` (one-way delay of the distant
 * backend, ms, default 5; `0` leaves only the proxy's own hop) change the size.
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
import { startDelayProxy } from "./delay-proxy.js";

const PooledOps = Number(process.env.BENCH_POOLED_OPS ?? 1000);
const PerCallOps = Number(process.env.BENCH_PER_CALL_OPS ?? 200);
const Clients = Number(process.env.BENCH_POOLED_CLIENTS ?? 8);
const Rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const BackendDelayMs = Number(process.env.BENCH_BACKEND_DELAY_MS ?? 5);
const Token = "bench-token";

/** One backend's tool call, and what it answers. */
interface Target {
  readonly label: string;
  readonly backend: Record<string, unknown>;
  readonly tool: string;
  readonly expect: (i: number, text: string | undefined) => boolean;
  readonly perCallOps: number;
  /** Calls per run through a pooled session. Default `BENCH_POOLED_OPS`. */
  readonly pooledOps?: number;
  /** Concurrent clients on each gateway. Default `BENCH_POOLED_CLIENTS`. */
  readonly clients?: number;
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
    { concurrency: clients.length, recordLatency: true },
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
  const clients = target.clients ?? Clients;
  const viaPool = await Promise.all(
    Array.from({ length: clients }, () => connect(pooled.url, Token)),
  );
  const eachCall = await Promise.all(Array.from({ length: clients }, () => connect(perCall.url)));
  closing.unshift(async () => {
    await Promise.all([...viaPool, ...eachCall].map((c) => c.close().catch(() => undefined)));
  });
  const runs = { pooled: [] as Measurement[], perCall: [] as Measurement[] };
  for (let round = 0; round < Rounds; round++) {
    runs.perCall.push(await callTool(eachCall, target, target.perCallOps));
    runs.pooled.push(await callTool(viaPool, target, target.pooledOps ?? PooledOps));
  }
  return summaryRows(target.label, summarizeRounds(runs.pooled), summarizeRounds(runs.perCall), {
    unit: "calls/s",
    throughputAtLeast: 5,
  });
}

async function main(): Promise<void> {
  const http = await startMcpBackend("legacy");
  const distant = await startMcpBackend("legacy");
  const delayed = await startDelayProxy(distant.url, BackendDelayMs);
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
          label: `HTTP (SDK v1, ${BackendDelayMs} ms away)`,
          backend: { workloadId: "legacy", url: delayed.url },
          tool: "echo",
          expect: (i, text) => text === `legacy:t${i}`,
          perCallOps: PerCallOps,
        },
        closing,
      )),
      ...(await compare(
        {
          label: `HTTP (SDK v1, ${BackendDelayMs} ms away, 1 client)`,
          backend: { workloadId: "legacy", url: delayed.url },
          tool: "echo",
          expect: (i, text) => text === `legacy:t${i}`,
          perCallOps: Math.max(1, Math.round(PerCallOps / 4)),
          pooledOps: Math.max(1, Math.round(PooledOps / 10)),
          clients: 1,
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
      `SDK v1 HTTP backend initialize requests: ${http.initializeCount} on loopback, ${distant.initializeCount} ${BackendDelayMs} ms away (both rows) over ${delayed.connections} TCP connections (per-call: one each; pooled: one, plus one era probe)\n`,
    );
  } finally {
    for (const close of closing) await close().catch(() => undefined);
    await delayed.close();
    await Promise.all([http.close(), distant.close(), remote.close()]);
  }
}

await main();
