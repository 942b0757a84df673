import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { type Measurement, measure } from "@vmcp/bench-kit";

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
