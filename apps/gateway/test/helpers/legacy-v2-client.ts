import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";

/** An SDK v2 client speaking 2025-11-25, and its transport (to end the session). */
export interface LegacyV2Client {
  readonly client: Client;
  readonly transport: StreamableHTTPClientTransport;
  /** Ends the gateway session (DELETE) and closes the client. */
  close(): Promise<void>;
}

/**
 * An SDK v2 client in its 2025-11-25 mode (`versionNegotiation: { mode: "legacy" }`: `initialize`,
 * a protocol session, no `server/discover`), connected to `${baseUrl}/mcp`, declaring elicitation
 * (form).
 */
export async function connectLegacyV2Client(
  baseUrl: string,
  name = "legacy-v2-e2e",
): Promise<LegacyV2Client> {
  const client = new Client(
    { name, version: "1.0.0" },
    {
      versionNegotiation: { mode: "legacy" },
      capabilities: { elicitation: { form: {} } },
    },
  );
  const transport = new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`));
  await client.connect(transport);
  return {
    client,
    transport,
    close: async () => {
      await transport.terminateSession().catch(() => undefined);
      await client.close();
    },
  };
}
