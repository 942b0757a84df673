import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

/** A connected SDK client and its transport. */
export interface ConnectedClient {
  readonly client: Client;
  readonly transport: StreamableHTTPClientTransport;
  readonly sessionId: string;
}

/** Connects a real SDK client (initialize) to `${baseUrl}/mcp` with an optional bearer token. */
export async function connectClient(baseUrl: string, token?: string): Promise<ConnectedClient> {
  const transport = new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), {
    requestInit: token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: "e2e-client", version: "1.0.0" });
  await client.connect(transport);
  const sessionId = transport.sessionId;
  if (sessionId === undefined) throw new Error("the gateway returned no Mcp-Session-Id");
  return { client, transport, sessionId };
}

/**
 * A client that reuses an existing session on another gateway (no `initialize`): the SDK sends
 * the given `Mcp-Session-Id` on every request.
 */
export async function attachClient(
  baseUrl: string,
  sessionId: string,
  token?: string,
): Promise<ConnectedClient> {
  const transport = new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), {
    sessionId,
    requestInit: token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: "e2e-client", version: "1.0.0" });
  await client.connect(transport);
  return { client, transport, sessionId };
}

/** The text of a tool result's content. */
export function resultText(result: object): string {
  const content = "content" in result && Array.isArray(result.content) ? result.content : [];
  return content.map((c: { text?: string }) => c.text ?? "").join("");
}

/** A raw JSON-RPC POST to `/mcp`; resolves status, headers and the parsed body (or text). */
export async function rawPost(
  baseUrl: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: unknown }> {
  const response = await fetch(`${baseUrl}/mcp`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...headers,
    },
    body,
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/** A JSON-RPC `initialize` request body. */
export function initializeBody(id = 1): string {
  return JSON.stringify({
    jsonrpc: "2.0",
    id,
    method: "initialize",
    params: {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "raw", version: "1" },
    },
  });
}
