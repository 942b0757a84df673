/**
 * `pnpm bench` (issue #10): server-to-client messages through the gateway.
 *
 * 1. A streamed `tools/call` that sends 10 progress notifications before its result, through one
 *    gateway (memory store) against the backend directly: throughput, p50 and p99 per call.
 * 2. The cross-replica answer: a `tools/call` whose backend asks the client for sampling, through
 *    replica A of two replicas sharing Redis, with the client's answer POSTed to replica B (it
 *    crosses the message bus) against POSTed to replica A (the replica holding the request);
 *    whole-call and answer-POST p50/p99, one call at a time (latency, not contention). The
 *    same-replica row is also set against the backend directly.
 *
 * Every server is its own process on loopback (the backend: `streaming-backend-process.ts`).
 * Rows are measured only when what they measure works: a gateway that does not relay every
 * progress notification, or a sampling answer that is not accepted, is reported as not measured,
 * with the reason. `BENCH_S2C_OPS` (calls per run, default 400), `BENCH_S2C_CLIENTS` (concurrent
 * clients, default 8), `BENCH_S2C_LATENCY_OPS` (sampling calls per run, default 200) and `BENCH_ROUNDS` (alternating rounds, default 3) change the size.
 */
import type { ChildProcess } from "node:child_process";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  CallToolResultSchema,
  CreateMessageRequestSchema,
  type CreateMessageResult,
} from "@modelcontextprotocol/sdk/types.js";
import {
  formatRatioTable,
  type Measurement,
  measure,
  percentile,
  type RatioRow,
  type RoundsSummary,
  summarizeRounds,
  summaryRows,
} from "@vmcp/bench-kit";
import { startRedisServer } from "@vmcp/redis-harness";
import { spawnBackendProcess, startGateway } from "./gateway-process.js";

const Clients = Number(process.env.BENCH_S2C_CLIENTS ?? 8);
const Ops = Number(process.env.BENCH_S2C_OPS ?? 400);
const LatencyOps = Number(process.env.BENCH_S2C_LATENCY_OPS ?? 200);
const Rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const Steps = 10;
const CallTimeoutMs = 15_000;

/** One bench client and the latencies of its sampling answers' POSTs, ms. */
interface BenchClient {
  readonly client: Client;
  readonly transport: StreamableHTTPClientTransport;
  readonly answerPostMs: number[];
  readonly answerStatuses: number[];
}

function isAnswer(body: unknown): boolean {
  if (typeof body !== "string") return false;
  try {
    const message = JSON.parse(body) as Record<string, unknown>;
    return !("method" in message) && ("result" in message || "error" in message);
  } catch {
    return false;
  }
}

/**
 * Connects an SDK client to `${base}/mcp` that answers sampling at once; with `answersTo`, the
 * POSTs that carry its answers go to that base URL instead (another replica).
 */
async function connect(
  base: string,
  options: { answersTo?: string; sessionId?: string } = {},
): Promise<BenchClient> {
  const answerPostMs: number[] = [];
  const answerStatuses: number[] = [];
  const routedFetch = async (url: string | URL, init?: RequestInit): Promise<Response> => {
    if (!isAnswer(init?.body)) return fetch(url, init);
    const target =
      options.answersTo === undefined ? url : String(url).replace(base, options.answersTo);
    const started = performance.now();
    const response = await fetch(target, init);
    answerPostMs.push(performance.now() - started);
    answerStatuses.push(response.status);
    return response;
  };
  const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
    fetch: routedFetch,
    ...(options.sessionId === undefined ? {} : { sessionId: options.sessionId }),
  });
  const client = new Client(
    { name: "bench-s2c", version: "1.0.0" },
    { capabilities: { sampling: {} } },
  );
  client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
    const first = request.params.messages[0]?.content;
    const text = first !== undefined && "text" in first ? String(first.text) : "";
    const result: CreateMessageResult = {
      role: "assistant",
      model: "bench",
      content: { type: "text", text: `sampled: ${text}` },
    };
    return result;
  });
  await client.connect(transport);
  return { client, transport, answerPostMs, answerStatuses };
}

/** A streamed call: resolves how many progress notifications came before its result. */
async function progressCall(client: Client, tool: string): Promise<number> {
  let progress = 0;
  const result = await client.callTool(
    { name: tool, arguments: { steps: Steps } },
    CallToolResultSchema,
    { timeout: CallTimeoutMs, onprogress: () => progress++ },
  );
  if (result.isError === true) throw new Error(`${tool} failed`);
  return progress;
}

async function sampleCall(client: Client, tool: string, i: number): Promise<void> {
  const result = await client.callTool(
    { name: tool, arguments: { key: `bench-${i}`, prompt: `q${i}` } },
    CallToolResultSchema,
    { timeout: CallTimeoutMs },
  );
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  const first = content[0];
  if (result.isError === true || first?.type !== "text" || first.text !== `sampled: q${i}`) {
    throw new Error(`${tool}: unexpected result ${JSON.stringify(result)}`);
  }
}

/** `ops` calls of `op` over `clients`, `concurrency` at once (default: one per client). */
function run(
  clients: readonly BenchClient[],
  op: (c: Client, i: number) => Promise<unknown>,
  { ops = Ops, concurrency = Clients }: { ops?: number; concurrency?: number } = {},
) {
  return measure(
    ops,
    async (i) => {
      const c = clients[i % clients.length];
      if (c === undefined) throw new Error("no client");
      await op(c.client, i);
    },
    { concurrency, recordLatency: true, warmupOps: Math.ceil(ops / 5) },
  );
}

function rows(
  label: string,
  value: RoundsSummary,
  baseline: RoundsSummary,
  aim: number,
): RatioRow[] {
  return summaryRows(label, value, baseline, { unit: "calls/s", throughputAtLeast: aim });
}

function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function main(): Promise<void> {
  const backend = await spawnBackendProcess("streaming-backend-process");
  const redis = await startRedisServer();
  const children: ChildProcess[] = [backend.child];
  const clients: BenchClient[] = [];
  const connectAll = async (make: () => Promise<BenchClient>) => {
    const made = await Promise.all(Array.from({ length: Clients }, make));
    clients.push(...made);
    return made;
  };
  try {
    // Every bench client is one anonymous caller on 127.0.0.1: lift its per-caller caps.
    const oneCaller = [
      "--initialize-burst",
      String(Clients * 8),
      "--initialize-per-minute",
      String(Clients * 240),
      "--max-sessions-per-caller",
      String(Clients * 8),
    ];
    const backendFlag = ["--backend", `web=${backend.url}`];
    const memory = await startGateway([...backendFlag, ...oneCaller], "warn");
    const shared = [
      ...backendFlag,
      ...oneCaller,
      "--store",
      "redis",
      "--redis-url",
      redis.url,
      "--binding-secret",
      "server-to-client-bench-binding-secret",
    ];
    const replicaA = await startGateway(shared, "warn");
    const replicaB = await startGateway(shared, "warn");
    children.push(memory.child, replicaA.child, replicaB.child);
    const backendBase = backend.url.replace(/\/mcp$/, "");

    say(
      `issue #10: ${Clients} concurrent clients, ${Ops} calls per run, medians of ${Rounds} alternating rounds\n`,
    );

    // 1. The streamed call with 10 progress notifications.
    const direct = await connectAll(() => connect(backendBase));
    const viaGateway = await connectAll(() => connect(memory.url));
    const directProgress = await progressCall(direct[0]?.client as Client, "progress");
    let gatewayProblem: string | undefined;
    try {
      const got = await progressCall(viaGateway[0]?.client as Client, "progress");
      if (got !== Steps)
        gatewayProblem = `the client got ${got} of ${Steps} progress notifications`;
    } catch (error) {
      gatewayProblem = reason(error);
    }
    say(`progress notifications per call: direct ${directProgress} of ${Steps}`);
    const streamed = { direct: [] as Measurement[], gateway: [] as Measurement[] };
    for (let round = 0; round < Rounds; round++) {
      streamed.direct.push(await run(direct, (c) => progressCall(c, "progress")));
      if (gatewayProblem === undefined) {
        streamed.gateway.push(await run(viaGateway, (c) => progressCall(c, "progress")));
      }
    }
    const directStreamed = summarizeRounds(streamed.direct);
    say(
      `direct baseline: ${directStreamed.opsPerSec.toFixed(0)} calls/s, p50 ${directStreamed.p50.toFixed(2)} ms, p99 ${directStreamed.p99.toFixed(2)} ms`,
    );
    if (gatewayProblem === undefined) {
      say(
        `\n${formatRatioTable(
          `streamed tools/call (${Steps} progress notifications): 1 gateway (memory) vs the backend directly`,
          rows("1 gateway, memory", summarizeRounds(streamed.gateway), directStreamed, 0.5),
        )}\n`,
      );
    } else {
      say(`gateway rows not measured: ${gatewayProblem}\n`);
    }

    // 2. The cross-replica answer.
    const sampleDirect = await connectAll(() => connect(backendBase));
    const sameReplica = await connectAll(() => connect(replicaA.url));
    const otherReplica = await connectAll(() => connect(replicaA.url, { answersTo: replicaB.url }));
    await sampleCall(sampleDirect[0]?.client as Client, "sample", -1);
    let replicaProblem: string | undefined;
    for (const [label, set] of [
      ["same replica", sameReplica],
      ["other replica", otherReplica],
    ] as const) {
      try {
        await sampleCall(set[0]?.client as Client, "sample", -1);
      } catch (error) {
        const statuses = set[0]?.answerStatuses.join(", ") || "none";
        replicaProblem ??= `sampling with the answer to the ${label} failed (${reason(error)}; answer POST statuses: ${statuses})`;
      }
    }
    const sampling = {
      direct: [] as Measurement[],
      same: [] as Measurement[],
      other: [] as Measurement[],
    };
    // One call at a time: the latency of the answer's path, not the CPU contention of many.
    const oneAtATime = { ops: LatencyOps, concurrency: 1 };
    for (let round = 0; round < Rounds; round++) {
      sampling.direct.push(
        await run(sampleDirect, (c, i) => sampleCall(c, "sample", i), oneAtATime),
      );
      if (replicaProblem === undefined) {
        sampling.same.push(
          await run(sameReplica, (c, i) => sampleCall(c, "sample", i), oneAtATime),
        );
        sampling.other.push(
          await run(otherReplica, (c, i) => sampleCall(c, "sample", i), oneAtATime),
        );
      }
    }
    const directSampling = summarizeRounds(sampling.direct);
    say(
      `sampling round trip, direct baseline: ${directSampling.opsPerSec.toFixed(0)} calls/s, p50 ${directSampling.p50.toFixed(2)} ms, p99 ${directSampling.p99.toFixed(2)} ms`,
    );
    if (replicaProblem !== undefined) {
      say(`replica rows not measured: ${replicaProblem}`);
      return;
    }
    const same = summarizeRounds(sampling.same);
    const other = summarizeRounds(sampling.other);
    const samePosts = sorted(sameReplica.flatMap((c) => c.answerPostMs));
    const otherPosts = sorted(otherReplica.flatMap((c) => c.answerPostMs));
    say(
      `\n${formatRatioTable(
        `sampling tool call, one at a time (${LatencyOps} per run), 2 replicas on Redis: answer POSTed to the other replica vs to the replica holding the request`,
        [
          ...rows("answer to the other replica", other, same, 0.5).map((row) =>
            row.unit === "ms" ? { ...row, aim: { atMost: 2 } } : row,
          ),
          {
            name: "answer POST: p50",
            value: percentile(otherPosts, 50),
            baseline: percentile(samePosts, 50),
            unit: "ms",
          },
          {
            name: "answer POST: p99",
            value: percentile(otherPosts, 99),
            baseline: percentile(samePosts, 99),
            unit: "ms",
          },
        ],
      )}\n`,
    );
    say(
      formatRatioTable(
        "sampling tool call, one at a time, through replica A with the answer to A, vs the backend directly",
        rows("replica A, same-replica answer", same, directSampling, 0.3),
      ),
    );
  } finally {
    await Promise.all(clients.map((c) => c.transport.close().catch(() => undefined)));
    for (const child of children) child.kill("SIGTERM");
    await redis.close();
  }
}

await main();
