/**
 * `pnpm bench` (second part): the batch attack of issue 11 against one gateway process with its
 * default limits, next to a normal client in the same run.
 *
 * - victim: one SDK client (127.0.0.1), `tools/call add` with 4 calls in flight;
 * - attack "10k batch": 4 anonymous loops from another address (127.0.0.2) each POSTing a
 *   10,000-entry `tools/call` batch of unknown tool names (about 0.8 MB, under the 1 MiB body limit) as fast as answered;
 * - attack "at the limits": 8 anonymous sessions from 127.0.0.2, each looping on a full batch
 *   (50 entries: half unknown names, half `add`), which the per-session bounds then queue.
 *
 * Rounds alternate the victim alone and under each attack; the table shows the victim's median
 * p99 against its p99 alone, its errors (aim: 0) and the gateway's peak RSS (aim: < 400 MB).
 */

import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { formatRatioTable, measure, median, percentile } from "@vmcp/bench-kit";
import { spawnDemoBackend } from "../dist/demo-backends/spawn-backend.js";
import { startGateway } from "./gateway-process.js";

const VictimOps = Number(process.env.BENCH_ATTACK_OPS ?? 600);
const Rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const AttackerAddress = "127.0.0.2";

interface Posted {
  readonly status: number;
  readonly body: string;
  readonly sessionId: string | undefined;
}

const attackerAgent = new Agent({ keepAlive: true, localAddress: AttackerAddress });

/** A POST to `/mcp` from the attacker's address. */
function post(url: string, body: string, sessionId?: string): Promise<Posted> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/mcp`,
      {
        method: "POST",
        agent: attackerAgent,
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          ...(sessionId === undefined ? {} : { "mcp-session-id": sessionId }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const id = res.headers["mcp-session-id"];
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString("utf8"),
            sessionId: typeof id === "string" ? id : undefined,
          });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** The resident set of `pid` now, MB (Linux `/proc`). */
function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

const initialize = JSON.stringify({
  jsonrpc: "2.0",
  id: 0,
  method: "initialize",
  params: {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "attacker", version: "1" },
  },
});

function call(id: number, name: string): object {
  return { jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: { a: id, b: 1 } } };
}

/** Counts of what the attacker got back. */
interface AttackTally {
  requests: number;
  httpStatuses: Map<number, number>;
  entryResults: number;
  entryErrors: Map<number, number>;
}

function tally(): AttackTally {
  return { requests: 0, httpStatuses: new Map(), entryResults: 0, entryErrors: new Map() };
}

function record(t: AttackTally, posted: Posted): void {
  t.requests++;
  t.httpStatuses.set(posted.status, (t.httpStatuses.get(posted.status) ?? 0) + 1);
  if (posted.status !== 200) return;
  const entries = JSON.parse(posted.body) as { result?: unknown; error?: { code: number } }[];
  for (const entry of entries) {
    if (entry.error === undefined) t.entryResults++;
    else t.entryErrors.set(entry.error.code, (t.entryErrors.get(entry.error.code) ?? 0) + 1);
  }
}

/** Runs `loops` attack loops until `stop()`; resolves their tally once they ended. */
function runAttack(loops: number, once: (loop: number) => Promise<Posted>) {
  let stopped = false;
  const t = tally();
  const done = Promise.all(
    Array.from({ length: loops }, async (_, loop) => {
      while (!stopped)
        record(t, await once(loop).catch(() => ({ status: 0, body: "", sessionId: undefined })));
    }),
  );
  return {
    stop: async () => {
      stopped = true;
      await done;
      return t;
    },
  };
}

interface Phase {
  p99: number[];
  errors: number;
  peakRssMb: number;
  tallies: AttackTally[];
}

async function main(): Promise<void> {
  const alpha = await spawnDemoBackend("alpha");
  const beta = await spawnDemoBackend("beta");
  const gateway = await startGateway(
    ["--backend", `alpha=${alpha.url}`, "--backend", `beta=${beta.url}`],
    "error",
  );
  const pid = gateway.child.pid ?? 0;
  // The victim never aborts a call. Without a signal, undici does not hang one abort listener per
  // call on the transport's single signal until GC (a listener warning per call, which slowed the
  // very client being measured).
  const transport = new StreamableHTTPClientTransport(new URL(`${gateway.url}/mcp`), {
    fetch: (url, init) => fetch(url, { ...init, signal: null }),
  });
  const victim = new Client({ name: "victim", version: "1.0.0" });
  try {
    await victim.connect(transport);
    // Under the default 1 MiB body limit (about 0.8 MB), so the batch limit is what refuses it.
    const bigBatch = JSON.stringify(
      Array.from({ length: 10_000 }, (_, i) => ({
        jsonrpc: "2.0",
        id: i,
        method: "tools/call",
        params: { name: `nope-${i}` },
      })),
    );
    if (Buffer.byteLength(bigBatch) > 1024 * 1024)
      throw new Error("the attack batch is over 1 MiB");
    const fullBatch = JSON.stringify(
      Array.from({ length: 50 }, (_, i) => call(i, i % 2 === 0 ? `nope-${i}` : "add")),
    );
    const attackerSessions: string[] = [];
    for (let i = 0; i < 8; i++) {
      const created = await post(gateway.url, initialize);
      if (created.sessionId === undefined)
        throw new Error(`attacker initialize: ${created.status} ${created.body}`);
      attackerSessions.push(created.sessionId);
    }
    const rssBefore = rssMb(pid);
    let peak = rssBefore;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMb(pid));
    }, 50);

    const victimRun = async () => {
      let errors = 0;
      const m = await measure(
        VictimOps,
        async (i) => {
          try {
            const result = await victim.callTool({ name: "add", arguments: { a: i, b: 1 } });
            if (result.isError === true) errors++;
          } catch {
            errors++;
          }
        },
        { concurrency: 4, recordLatency: true, warmupOps: 50 },
      );
      return { p99: percentile(m.latenciesMs, 99), errors };
    };
    const phases: Record<"alone" | "bigBatch" | "atLimits", Phase> = {
      alone: { p99: [], errors: 0, peakRssMb: 0, tallies: [] },
      bigBatch: { p99: [], errors: 0, peakRssMb: 0, tallies: [] },
      atLimits: { p99: [], errors: 0, peakRssMb: 0, tallies: [] },
    };
    const underAttack = async (phase: Phase, attack: ReturnType<typeof runAttack>) => {
      peak = rssMb(pid);
      await sleep(300); // let the attack ramp up
      const run = await victimRun();
      phase.tallies.push(await attack.stop());
      phase.p99.push(run.p99);
      phase.errors += run.errors;
      phase.peakRssMb = Math.max(phase.peakRssMb, peak);
    };
    for (let round = 0; round < Rounds; round++) {
      peak = rssMb(pid);
      const alone = await victimRun();
      phases.alone.p99.push(alone.p99);
      phases.alone.errors += alone.errors;
      phases.alone.peakRssMb = Math.max(phases.alone.peakRssMb, peak);
      await underAttack(
        phases.bigBatch,
        runAttack(4, () => post(gateway.url, bigBatch, attackerSessions[0])),
      );
      await underAttack(
        phases.atLimits,
        runAttack(8, (loop) => post(gateway.url, fullBatch, attackerSessions[loop])),
      );
    }
    clearInterval(sampler);

    const baseline = median(phases.alone.p99);
    process.stdout.write(
      `victim: tools/call add, 4 in flight, ${VictimOps} calls per run; ${Rounds} rounds; gateway defaults (batch <= 50, 16 backend requests per session + 256 queued)\n\n`,
    );
    process.stdout.write(
      `${formatRatioTable("victim p99 under attack vs alone (same gateway, same run; medians)", [
        {
          name: "10k-entry batch x4 loops (refused whole)",
          value: median(phases.bigBatch.p99),
          baseline,
          unit: "ms",
        },
        {
          name: "full 50-entry batches x8 sessions",
          value: median(phases.atLimits.p99),
          baseline,
          unit: "ms",
        },
      ])}\n\n`,
    );
    process.stdout.write(
      `${formatRatioTable("gateway peak RSS (sampled every 50 ms) vs its RSS before the attacks", [
        {
          name: "10k-entry batch phase",
          value: phases.bigBatch.peakRssMb,
          baseline: rssBefore,
          unit: "MB",
        },
        {
          name: "50-entry batches phase",
          value: phases.atLimits.peakRssMb,
          baseline: rssBefore,
          unit: "MB",
        },
      ])}\n\n`,
    );
    const limit = 400;
    const peakAll = Math.max(
      phases.bigBatch.peakRssMb,
      phases.atLimits.peakRssMb,
      phases.alone.peakRssMb,
    );
    process.stdout.write(
      `victim errors: alone ${phases.alone.errors}, 10k batch ${phases.bigBatch.errors}, 50-entry batches ${phases.atLimits.errors} (aim: 0) ${phases.bigBatch.errors + phases.atLimits.errors === 0 ? "met" : "NOT MET"}\n`,
    );
    process.stdout.write(
      `gateway peak RSS ${peakAll.toFixed(1)} MB (aim: < ${limit} MB) ${peakAll < limit ? "met" : "NOT MET"}\n\n`,
    );
    for (const [label, phase] of [
      ["10k batch", phases.bigBatch],
      ["50-entry batches", phases.atLimits],
    ] as const) {
      const requests = phase.tallies.reduce((n, t) => n + t.requests, 0);
      const statuses = new Map<number, number>();
      const entryErrors = new Map<number, number>();
      let results = 0;
      for (const t of phase.tallies) {
        for (const [k, v] of t.httpStatuses) statuses.set(k, (statuses.get(k) ?? 0) + v);
        for (const [k, v] of t.entryErrors) entryErrors.set(k, (entryErrors.get(k) ?? 0) + v);
        results += t.entryResults;
      }
      process.stdout.write(
        `attacker, ${label}: ${requests} POSTs, HTTP ${[...statuses].map(([k, v]) => `${k} x${v}`).join(", ")}; entries answered ${results}, errors ${[...entryErrors].map(([k, v]) => `${k} x${v}`).join(", ") || "none"}\n`,
      );
    }
  } finally {
    await transport.close().catch(() => undefined);
    attackerAgent.destroy();
    gateway.child.kill("SIGTERM");
    await Promise.all([alpha.stop(), beta.stop()]);
  }
}

await main();
