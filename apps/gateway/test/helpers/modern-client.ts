import {
  Client,
  type ClientCapabilities,
  StreamableHTTPClientTransport,
} from "@modelcontextprotocol/client";

/** The revision the modern tests speak. */
export const ModernRevision = "2026-07-28";

/** Options of {@link connectModernClient}. */
export interface ModernClientOptions {
  /** A bearer token for the gateway's identity verifier. */
  readonly token?: string;
  /** The capabilities its envelope declares; default elicitation (form). */
  readonly capabilities?: ClientCapabilities;
  /** Its `clientInfo` name; default `modern-e2e`. */
  readonly name?: string;
}

/**
 * An SDK v2 client pinned to 2026-07-28 (`versionNegotiation: { mode: { pin } }`: its connect is a
 * `server/discover`, and it never falls back to 2025), connected to `${baseUrl}/mcp`, with
 * multi-round-trip input left to the test (`autoFulfill: false`).
 */
export async function connectModernClient(
  baseUrl: string,
  options: ModernClientOptions = {},
): Promise<Client> {
  const client = new Client(
    { name: options.name ?? "modern-e2e", version: "1.0.0" },
    {
      versionNegotiation: { mode: { pin: ModernRevision } },
      inputRequired: { autoFulfill: false },
      capabilities: options.capabilities ?? { elicitation: { form: {} } },
    },
  );
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), {
      requestInit:
        options.token === undefined
          ? {}
          : { headers: { authorization: `Bearer ${options.token}` } },
    }),
  );
  return client;
}

/** A valid 2026-07-28 `_meta` envelope, with `extra` keys. */
export function envelope(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    "io.modelcontextprotocol/protocolVersion": ModernRevision,
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": { name: "raw", version: "1" },
    ...extra,
  };
}

/** What a raw POST got back. */
export interface RawAnswer {
  readonly status: number;
  readonly headers: Headers;
  /** The JSON body, or for an SSE response every `data:` frame parsed, in order. */
  readonly body: unknown;
  readonly text: string;
}

/**
 * POSTs `message` to `${baseUrl}/mcp` with the 2026-07-28 headers (`MCP-Protocol-Version`,
 * `Mcp-Method`, and `Mcp-Name` from `params.name`/`params.uri`/`params.taskId`) unless `headers` overrides them
 * (a `null` value leaves a header out).
 */
export async function modernPost(
  baseUrl: string,
  message: { id?: number | string; method: string; params?: Record<string, unknown> } | string,
  headers: Record<string, string | null> = {},
): Promise<RawAnswer> {
  const body =
    typeof message === "string" ? message : JSON.stringify({ jsonrpc: "2.0", ...message });
  const parsed = typeof message === "string" ? undefined : message;
  const name = parsed?.params?.name ?? parsed?.params?.uri ?? parsed?.params?.taskId;
  const all: Record<string, string | null> = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-protocol-version": ModernRevision,
    ...(parsed === undefined ? {} : { "mcp-method": parsed.method }),
    ...(typeof name === "string" ? { "mcp-name": name } : {}),
    ...headers,
  };
  const sent = Object.fromEntries(
    Object.entries(all).filter((e): e is [string, string] => e[1] !== null),
  );
  const response = await fetch(`${baseUrl}/mcp`, { method: "POST", headers: sent, body });
  const text = await response.text();
  let answer: unknown = text;
  if ((response.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
    answer = text
      .split("\n")
      .filter((line) => line.startsWith("data:"))
      .map((line) => JSON.parse(line.slice(5)) as unknown);
  } else {
    try {
      answer = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
  }
  return { status: response.status, headers: response.headers, body: answer, text };
}
