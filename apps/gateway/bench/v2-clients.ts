import type { ChildProcess } from "node:child_process";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import {
  formatRatioTable,
  type Measurement,
  measure,
  summarizeRounds,
  summaryRows,
} from "@vmcp/bench-kit";
import { spawnBackendProcess, startGateway } from "./gateway-process.js";

/** How {@link connectV2Client} connects. */
export interface V2ClientOptions {
  /** The client's name (its `clientInfo`). */
  readonly name: string;
  /** `modern`: pinned to 2026-07-28; `legacy`: 2025-11-25 (`initialize`, a session). */
  readonly era: "modern" | "legacy";
  /** Declares elicitation (form) and accepts every request with `content` `{ ok: true }`. */
  readonly acceptsElicitation?: boolean;
}

/** An SDK v2 client connected to the MCP endpoint `url` over Streamable HTTP. */
export async function connectV2Client(url: string, options: V2ClientOptions): Promise<Client> {
  const client = new Client(
    { name: options.name, version: "1.0.0" },
    {
      versionNegotiation: { mode: options.era === "legacy" ? "legacy" : { pin: "2026-07-28" } },
      ...(options.acceptsElicitation === true
        ? { capabilities: { elicitation: { form: {} } } }
        : {}),
    },
  );
  if (options.acceptsElicitation === true) {
    client.setRequestHandler("elicitation/create", () => ({
      action: "accept" as const,
      content: { ok: true },
    }));
  }
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

/** Ends a client: its session first when it holds one (a 2025-era client), never rejects. */
export async function closeV2Client(client: Client): Promise<void> {
  const transport = client.transport as StreamableHTTPClientTransport | undefined;
  if (transport?.sessionId !== undefined) await transport.terminateSession().catch(() => undefined);
  await client.close().catch(() => undefined);
}

/**
 * Measures `ops` calls of `tool` (a sum tool of `modern-backend-process.ts`: `add`, or
 * `add_confirmed` with its input round) spread over `clients`, `concurrency` at once, latencies
 * recorded; each must answer `a + b`.
 * @throws {Error} naming the call that answered anything else.
 */
export function measureSumCalls(
  clients: readonly Client[],
  tool: string,
  ops: number,
  concurrency: number,
): Promise<Measurement> {
  return measure(
    ops,
    async (i) => {
      const client = clients[i % clients.length];
      if (client === undefined) throw new Error("no client");
      const result = (await client.request({
        method: "tools/call",
        params: { name: tool, arguments: { a: i, b: 1 } },
      })) as { content?: { text?: string }[] };
      if (result.content?.[0]?.text !== String(i + 1)) {
        throw new Error(`${tool}(${i}, 1): unexpected result ${JSON.stringify(result)}`);
      }
    },
    { concurrency, recordLatency: true },
  );
}

/** One comparison of {@link compareWithDirect}. */
export interface DirectComparison {
  /** The sum tool of `modern-backend-process.ts` each call makes. */
  readonly tool: string;
  /** The era of the clients through the gateway (the direct ones are pinned to 2026-07-28). */
  readonly gatewayEra: "modern" | "legacy";
  /** Whether every client declares and accepts elicitation. */
  readonly acceptsElicitation?: boolean;
  /** Concurrent clients on each side, calls per run, alternating runs. */
  readonly clients: number;
  readonly ops: number;
  readonly rounds: number;
  /** The line printed before the runs, the table's row label and title, and its throughput aim. */
  readonly headline: string;
  readonly label: string;
  readonly title: string;
  readonly throughputAtLeast: number;
  /** More arguments of the gateway's `serve` (e.g. `--store redis --redis-url …`). Default none. */
  readonly gatewayArgs?: readonly string[];
}

/**
 * Runs `modern-backend-process.ts` and one gateway in front of it (each its own process on
 * loopback), and prints the ratio table of `tool` called through the gateway against called on
 * the backend directly, from runs that alternate between the two sides.
 */
export async function compareWithDirect(o: DirectComparison): Promise<void> {
  const backend = await spawnBackendProcess("modern-backend-process");
  const children: ChildProcess[] = [backend.child];
  const clients: Client[] = [];
  const connect = (url: string, era: "modern" | "legacy") =>
    connectV2Client(url, {
      name: `bench-${o.tool}-${era}`,
      era,
      ...(o.acceptsElicitation === undefined ? {} : { acceptsElicitation: o.acceptsElicitation }),
    });
  try {
    const gateway = await startGateway(
      ["--backend", `modern=${backend.url}`, ...(o.gatewayArgs ?? [])],
      "warn",
    );
    children.push(gateway.child);
    const many = (url: string, era: "modern" | "legacy") =>
      Promise.all(Array.from({ length: o.clients }, () => connect(url, era)));
    const direct = await many(backend.url, "modern");
    const via = await many(`${gateway.url}/mcp`, o.gatewayEra);
    clients.push(...direct, ...via);
    process.stdout.write(`${o.headline}\n\n`);
    const runs = { direct: [] as Measurement[], gateway: [] as Measurement[] };
    for (let round = 0; round < o.rounds; round++) {
      runs.direct.push(await measureSumCalls(direct, o.tool, o.ops, o.clients));
      runs.gateway.push(await measureSumCalls(via, o.tool, o.ops, o.clients));
    }
    const rows = summaryRows(o.label, summarizeRounds(runs.gateway), summarizeRounds(runs.direct), {
      unit: "calls/s",
      throughputAtLeast: o.throughputAtLeast,
    });
    process.stdout.write(`${formatRatioTable(o.title, rows)}\n`);
  } finally {
    await Promise.all(clients.map(closeV2Client));
    for (const child of children) child.kill("SIGTERM");
  }
}
