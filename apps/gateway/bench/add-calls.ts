import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { type Measurement, measure } from "@vmcp/bench-kit";

/** An SDK client connected over Streamable HTTP, with its transport (to close it). */
export interface ConnectedClient {
  readonly client: Client;
  readonly transport: StreamableHTTPClientTransport;
}

/**
 * Connects an SDK client to the MCP endpoint `url`: a new session, or the existing `sessionId`
 * (to reach one session through another replica).
 */
export async function connectClient(url: string, sessionId?: string): Promise<ConnectedClient> {
  const transport = new StreamableHTTPClientTransport(
    new URL(url),
    sessionId === undefined ? {} : { sessionId },
  );
  const client = new Client({ name: "bench", version: "1.0.0" });
  await client.connect(transport);
  return { client, transport };
}

/**
 * Measures `ops` tools/call "add" (the demo backend's tool) spread over `clients`, `concurrency`
 * at once, latencies recorded, after a warm-up of a fifth as many calls.
 * @throws {Error} when a call fails or the tool answers with an error.
 */
export function callAdd(
  clients: readonly Client[],
  ops: number,
  concurrency: number,
): Promise<Measurement> {
  return measure(
    ops,
    async (i) => {
      const client = clients[i % clients.length];
      if (client === undefined) throw new Error("no client");
      const result = await client.callTool({ name: "add", arguments: { a: i, b: 1 } });
      if (result.isError === true) throw new Error("tool call failed");
    },
    { concurrency, recordLatency: true, warmupOps: Math.ceil(ops / 5) },
  );
}
