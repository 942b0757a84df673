import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import type { FetchFunction } from "@vmcp/session-core";
import { GatewayServerInfo } from "../../../server-info.js";
import type { VerdictTarget } from "./verdict-record.js";

/** How the SDK v2 client negotiates the era: `"auto"` (discover, then the 2025 fallback) or a pin. */
export type EraNegotiation = "auto" | { readonly pin: string };

/**
 * Connects an SDK v2 client to `target` with its era negotiation set to `mode`, bounded by
 * `timeoutMs` (ms: the probe and the connect), runs `use` on it, and closes it whatever happens.
 * `fetch` is the transport's (default: the global one).
 * @throws whatever the SDK throws for a backend that cannot be asked (unreachable, a 5xx, a
 *   401/403, a timeout, a pin it does not offer), or what `use` throws.
 */
export async function withEraClient<T>(
  target: VerdictTarget,
  timeoutMs: number,
  mode: EraNegotiation,
  fetch: FetchFunction | undefined,
  use: (client: Client, transport: StreamableHTTPClientTransport) => Promise<T>,
): Promise<T> {
  const client = new Client(GatewayServerInfo, {
    versionNegotiation: { mode, probe: { timeoutMs } },
  });
  const transport = new StreamableHTTPClientTransport(new URL(target.url), {
    requestInit: { headers: { ...target.headers } },
    ...(fetch === undefined ? {} : { fetch }),
  });
  try {
    await client.connect(transport, { timeout: timeoutMs });
    return await use(client, transport);
  } finally {
    await client.close().catch(() => undefined);
  }
}
