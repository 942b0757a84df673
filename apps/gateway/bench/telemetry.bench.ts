/**
 * `node dist-bench/telemetry.bench.js`: what tracing and metrics cost. tools/call throughput and
 * p50 latency through gateways that differ only in telemetry, with 32 concurrent SDK clients,
 * rounds alternating, every server its own process on loopback:
 * - off: this build with `--tracing` and `--metrics` off (the default);
 * - base (when `BASELINE_CLI` names another build's `dist/cli.js`, e.g. the main branch): the
 *   same without this change, to show that "off" costs nothing;
 * - none: `--tracing true` with `OTEL_TRACES_EXPORTER=none` (the SDK registers a propagator and no
 *   tracer provider: context passes through, nothing is recorded);
 * - on: `--tracing true --metrics true`, spans batched to an OTLP/HTTP sink in this process.
 */
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { context } from "@opentelemetry/api";
import {
  formatRatioTable,
  type Measurement,
  median,
  type RatioRow,
  summarizeRounds,
  summaryRows,
} from "@vmcp/bench-kit";
import { instrumentStorage } from "@vmcp/session-core";
import { MemoryStorage } from "@vmcp/store-memory";
// session-core's internal client-span wrapper (not exported): the bench measures it from the build.
import { traceBackendCall } from "../../../packages/session-core/dist/telemetry/telemetry.js";
import { spawnDemoBackend } from "../dist/demo-backends/spawn-backend.js";
import { traceServerRequest } from "../dist/telemetry/server-span.js";
import { callAdd, connectClient } from "./add-calls.js";
import { startGateway } from "./gateway-process.js";

const Clients = 32;
const Ops = Number(process.env.BENCH_OPS ?? 3000);
const Rounds = Number(process.env.BENCH_ROUNDS ?? 3);

/**
 * What the telemetry wrappers add to one request with no SDK registered, in this process: a
 * memory-store `load` alone against the same `load` inside a server span, a client span (with its
 * `_meta` injection) and the storage wrapper. Microseconds per request, medians of 5 rounds.
 */
async function noSdkOverhead(): Promise<{ bare: number; wrapped: number }> {
  const n = 100_000;
  const params = { name: "add", arguments: { a: 1, b: 2 }, _meta: { progressToken: 1 } };
  const headers = { "mcp-protocol-version": "2025-11-25" };
  const raw = new MemoryStorage();
  await raw.create({ id: "s1", metadata: {} });
  const storage = instrumentStorage(raw);
  const bare = () => raw.load("s1");
  const wrapped = () =>
    traceServerRequest({ method: "tools/call", params, id: 1, sessionId: "s1", headers }, () =>
      traceBackendCall(
        {
          workloadId: "alpha",
          method: "tools/call",
          params,
          backendSessionId: "b1",
          protocolVersion: "2025-11-25",
        },
        context.active(),
        () => storage.load("s1"),
      ),
    );
  const time = async (fn: () => Promise<unknown>) => {
    const started = performance.now();
    for (let i = 0; i < n; i++) await fn();
    return ((performance.now() - started) * 1000) / n;
  };
  const rounds: Array<[number, number]> = [];
  for (let r = 0; r < 5; r++) rounds.push([await time(bare), await time(wrapped)]);
  await raw.close();
  return { bare: median(rounds.map((x) => x[0])), wrapped: median(rounds.map((x) => x[1])) };
}

/** CPU time (user + system) the process `pid` has used so far, ms (Linux `/proc`, 10 ms ticks). */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** An OTLP/HTTP receiver that accepts every export and counts what it got. */
async function startOtlpSink(): Promise<{
  url: string;
  stats: { requests: number; bytes: number };
  close(): void;
}> {
  const stats = { requests: 0, bytes: 0 };
  const server = createServer((req, res) => {
    req.on("data", (chunk: Buffer) => {
      stats.bytes += chunk.length;
    });
    req.on("end", () => {
      stats.requests++;
      res.writeHead(200, {
        "content-type": req.headers["content-type"] ?? "application/x-protobuf",
      });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, stats, close: () => server.close() };
}

async function main(): Promise<void> {
  const overhead = await noSdkOverhead();
  process.stdout.write(
    `no SDK registered: a memory-store load ${overhead.bare.toFixed(2)} us, the same inside the server span, the client span and the storage wrapper ${overhead.wrapped.toFixed(2)} us: ${(overhead.wrapped - overhead.bare).toFixed(2)} us added per request\n\n`,
  );
  const backend = await spawnDemoBackend("alpha");
  const sink = await startOtlpSink();
  const children: ChildProcess[] = [];
  const transports: StreamableHTTPClientTransport[] = [];
  try {
    const args = [
      "--backend",
      `alpha=${backend.url}`,
      "--initialize-burst",
      String(Clients * 2),
      "--initialize-per-minute",
      String(Clients * 60),
      "--max-sessions-per-caller",
      String(Clients * 2),
    ];
    const variants: Array<{ name: string; url: string; pid: number | undefined }> = [];
    // BENCH_VARIANTS=off,base runs only those (default: every variant).
    const only = process.env.BENCH_VARIANTS?.split(",");
    const add = async (name: string, extra: string[], options = {}) => {
      if (only !== undefined && !only.includes(name)) return;
      const started = await startGateway([...args, ...extra], "warn", options);
      children.push(started.child);
      variants.push({ name, url: started.url, pid: started.child.pid });
    };
    await add("off", []);
    const baseline = process.env.BASELINE_CLI;
    if (baseline !== undefined) await add("base", [], { cli: baseline });
    await add("none", ["--tracing", "true"], { env: { OTEL_TRACES_EXPORTER: "none" } });
    await add("on", ["--tracing", "true", "--metrics", "true"], {
      env: {
        OTEL_TRACES_EXPORTER: "otlp",
        OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
      },
    });

    const clients = new Map<string, Client[]>();
    for (const v of variants) {
      const connected = await Promise.all(
        Array.from({ length: Clients }, () => connectClient(`${v.url}/mcp`)),
      );
      for (const c of connected) transports.push(c.transport);
      clients.set(
        v.name,
        connected.map((c) => c.client),
      );
    }
    process.stdout.write(
      `tools/call "add", ${Clients} concurrent clients, ${Ops} calls per run, medians of ${Rounds} alternating rounds\n\n`,
    );
    const runs = new Map<string, Measurement[]>(variants.map((v) => [v.name, []]));
    /** The gateway process's CPU ms per call in each run: steadier than throughput on a busy box. */
    const cpu = new Map<string, number[]>(variants.map((v) => [v.name, []]));
    for (let round = 0; round < Rounds; round++) {
      // The order turns every round: the traced gateway's batched exports run on after its own
      // run, and would otherwise always slow the same variant (the next one) down.
      const order = variants.map((_, i) => variants[(i + round) % variants.length]);
      for (const v of order) {
        if (v === undefined) continue;
        const before = cpuMs(v.pid);
        runs.get(v.name)?.push(await callAdd(clients.get(v.name) ?? [], Ops, Clients));
        // The run's warm-up calls count too.
        cpu.get(v.name)?.push((cpuMs(v.pid) - before) / (Ops + Math.ceil(Ops / 5)));
      }
    }
    const summary = (name: string) => {
      const measured = runs.get(name) ?? [];
      return summarizeRounds(measured);
    };
    const compare = (label: string, value: string, base: string, atLeast: number): RatioRow[] => {
      const v = summary(value);
      const b = summary(base);
      return [
        ...summaryRows(label, v, b, { unit: "calls/s", throughputAtLeast: atLeast }),
        {
          name: `${label}: gateway CPU per call`,
          value: median(cpu.get(value) ?? []),
          baseline: median(cpu.get(base) ?? []),
          unit: "ms",
        },
      ];
    };
    const has = (name: string) => variants.some((v) => v.name === name);
    if (has("base")) {
      process.stdout.write(
        `${formatRatioTable("telemetry off vs the build before telemetry", compare("off vs base", "off", "base", 0.95))}\n\n`,
      );
    }
    if (has("none")) {
      process.stdout.write(
        `${formatRatioTable("tracing on, exporter none, vs off", compare("none vs off", "none", "off", 0.9))}\n\n`,
      );
    }
    const on = variants.find((v) => v.name === "on");
    if (on !== undefined) {
      process.stdout.write(
        `${formatRatioTable("tracing (OTLP/HTTP batches) and metrics on vs off", compare("on vs off", "on", "off", 0.7))}\n\n`,
      );
      // Let the batch span processor's 5 s timer flush once so the sink shows the export worked.
      await new Promise((resolve) => setTimeout(resolve, 5_500));
      const scraped = await fetch(`${on.url}/metrics`);
      const text = await scraped.text();
      process.stdout.write(
        `OTLP sink: ${sink.stats.requests} export requests, ${sink.stats.bytes} bytes; /metrics: ${scraped.status}, ${text.length} chars\n`,
      );
    }
  } finally {
    await Promise.all(transports.map((t) => t.close().catch(() => undefined)));
    for (const child of children) child.kill("SIGTERM");
    await backend.stop();
    sink.close();
  }
}

await main();
