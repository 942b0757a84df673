import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  type ClientCapabilities,
  CreateMessageRequestSchema,
  type CreateMessageResult,
  ElicitationCompleteNotificationSchema,
  ElicitRequestSchema,
  type ElicitResult,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import {
  makeStreamingServer,
  type StreamingEvent,
  startMcpBackend,
  streamingStdioBackendScript,
  type TestBackend,
  waitUntil,
} from "@vmcp/test-support";

/** A streaming backend (see `makeStreamingServer` in @vmcp/test-support) and what it did. */
export interface StreamingBackend {
  /** Its tag: the server's name, the workload ID the tests give it. */
  readonly tag: string;
  /** Everything it recorded so far (every process, for a stdio backend). */
  events(): StreamingEvent[];
}

/** A streaming backend over Streamable HTTP (SSE responses, a GET stream), in this process. */
export interface StreamingHttpBackend extends StreamingBackend {
  readonly url: string;
  readonly backend: TestBackend;
  close(): Promise<void>;
}

/** A streaming backend over stdio: a command line, started by whoever connects. */
export interface StreamingStdioBackend extends StreamingBackend {
  readonly command: string;
  readonly args: readonly string[];
  /** `<tag>=stdio:<command> <args>`, the gateway's `--backend` value. */
  readonly backendFlag: string;
  /** Removes its events file. */
  close(): Promise<void>;
}

/** Starts `makeStreamingServer(tag)` over Streamable HTTP on a free loopback port. */
export async function startStreamingHttpBackend(tag: string): Promise<StreamingHttpBackend> {
  const events: StreamingEvent[] = [];
  const backend = await startMcpBackend(tag, {
    makeServer: () => makeStreamingServer(tag, (event) => events.push(event)),
  });
  return { tag, url: backend.url, backend, events: () => [...events], close: backend.close };
}

/**
 * The command line of `makeStreamingServer(tag)` over stdio; every process started from it
 * appends its events to one file of its own (read back by `events()`).
 */
export function streamingStdioBackend(tag: string): StreamingStdioBackend {
  const dir = mkdtempSync(join(tmpdir(), `vmcp-s2c-${tag}-`));
  const file = join(dir, "events.jsonl");
  const args = [streamingStdioBackendScript, "--tag", tag, "--events", file];
  return {
    tag,
    command: process.execPath,
    args,
    backendFlag: `${tag}=stdio:${process.execPath} ${args.join(" ")}`,
    events: () => {
      let text = "";
      try {
        text = readFileSync(file, "utf8");
      } catch {
        return [];
      }
      return text
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as StreamingEvent);
    },
    close: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Resolves the first event of `kind` for `key` that `backend` recorded, waiting up to
 * `timeoutMs`; rejects naming what was missing and listing what the backend did record.
 */
export async function waitForEvent(
  backend: StreamingBackend,
  kind: string,
  key: string,
  timeoutMs = 10_000,
): Promise<StreamingEvent> {
  const find = () => backend.events().find((e) => e.kind === kind && e.key === key);
  try {
    await waitUntil(() => find() !== undefined, timeoutMs, `${backend.tag}: ${kind} ${key}`, 25);
  } catch {
    const seen = backend
      .events()
      .filter((e) => e.key === key)
      .map((e) => e.kind);
    throw new Error(
      `backend ${backend.tag} never recorded "${kind}" for ${key} within ${timeoutMs} ms (it recorded: ${seen.join(", ") || "nothing"})`,
    );
  }
  return find() as StreamingEvent;
}

/** What the test client declares: every server-to-client feature, elicitation in both modes. */
export const RecordingClientCapabilities: ClientCapabilities = {
  sampling: {},
  elicitation: { form: {}, url: {} },
  roots: { listChanged: true },
};

/** The roots the recording client answers `roots/list` with. */
export const RecordingClientRoots = [{ uri: "file:///work/project", name: "project" }];

/** One HTTP exchange of the recording client's transport. */
export interface ClientExchange {
  readonly httpMethod: string;
  /** JSON-RPC method(s) of the body, `response` for an answer, `` for a GET. */
  readonly rpc: string;
  status: number;
  contentType: string;
}

/** What the recording client should do before it answers a sampling request. */
export type SamplingGate = (text: string) => Promise<void>;

/** Where the recording client connects. */
export type ClientTarget =
  | { readonly url: string; readonly sessionId?: string }
  | { readonly command: string; readonly args: readonly string[] };

/** A real SDK client that records every server-to-client message it receives, in order. */
export interface RecordingClient {
  readonly client: Client;
  readonly transport: Transport;
  /** `Mcp-Session-Id` (HTTP), `` over stdio. */
  readonly sessionId: string;
  /**
   * Everything received, in order, as comparable text: `progress:<n>/<total>:<message>`,
   * `log:<level>:<logger>:<data>`, `sampling:<text>`, `elicit-form:<message>`,
   * `elicit-url:<message>:<url>:<elicitationId>`, `elicit-complete:<elicitationId>`, `roots`, `tools/list_changed`,
   * `prompts/list_changed`, `resources/list_changed`, `updated:<uri>`.
   */
  readonly received: string[];
  /** The transport's HTTP exchanges (HTTP targets). */
  readonly exchanges: ClientExchange[];
  /** Errors the transport reported (e.g. an answer POST refused). */
  readonly errors: Error[];
  /** Replaces what happens before a sampling answer (default: answer at once). */
  setSamplingGate(gate: SamplingGate | undefined): void;
  /** Whether the client's standalone `GET /mcp` stream is open (a 200 event stream came back). */
  getStreamOpen(): boolean;
  /** Progress notifications of one call go here: pass as `onprogress` of `callTool`. */
  onprogress(progress: {
    progress: number;
    total?: number | undefined;
    message?: string | undefined;
  }): void;
  close(): Promise<void>;
}

function rpcOf(body: unknown): string {
  if (typeof body !== "string") return "";
  try {
    const parsed = JSON.parse(body) as unknown;
    const messages = (Array.isArray(parsed) ? parsed : [parsed]) as Array<Record<string, unknown>>;
    return messages.map((m) => (typeof m.method === "string" ? m.method : "response")).join(",");
  } catch {
    return "?";
  }
}

/**
 * Connects an SDK client that declares {@link RecordingClientCapabilities} and records every
 * server-to-client message (see {@link RecordingClient.received}). It answers sampling with
 * `sampled: <text of the request>`, form elicitation with `accept {name: "Ada"}`, URL elicitation
 * with `accept`, and roots with {@link RecordingClientRoots}. The same code serves a backend
 * directly and a gateway, so what each receives can be compared.
 */
export async function connectRecordingClient(target: ClientTarget): Promise<RecordingClient> {
  const received: string[] = [];
  const exchanges: ClientExchange[] = [];
  const errors: Error[] = [];
  let gate: SamplingGate | undefined;
  const client = new Client(
    { name: "s2c-recorder", version: "1.0.0" },
    { capabilities: RecordingClientCapabilities },
  );
  client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
    const first = request.params.messages[0]?.content;
    const asked = first !== undefined && "text" in first ? String(first.text) : "";
    received.push(`sampling:${asked}`);
    await gate?.(asked);
    const result: CreateMessageResult = {
      role: "assistant",
      model: "recorder",
      content: { type: "text", text: `sampled: ${asked}` },
    };
    return result;
  });
  client.setRequestHandler(ElicitRequestSchema, async (request) => {
    const params = request.params;
    if (params.mode === "url") {
      received.push(`elicit-url:${params.message}:${params.url}:${params.elicitationId}`);
      return { action: "accept" } satisfies ElicitResult;
    }
    received.push(`elicit-form:${params.message}`);
    return { action: "accept", content: { name: "Ada" } } satisfies ElicitResult;
  });
  client.setRequestHandler(ListRootsRequestSchema, async () => {
    received.push("roots");
    return { roots: RecordingClientRoots };
  });
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    received.push(`log:${n.params.level}:${n.params.logger ?? ""}:${String(n.params.data)}`);
  });
  client.setNotificationHandler(ElicitationCompleteNotificationSchema, (n) => {
    received.push(`elicit-complete:${n.params.elicitationId}`);
  });
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    received.push("tools/list_changed");
  });
  client.setNotificationHandler(PromptListChangedNotificationSchema, () => {
    received.push("prompts/list_changed");
  });
  client.setNotificationHandler(ResourceListChangedNotificationSchema, () => {
    received.push("resources/list_changed");
  });
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
    received.push(`updated:${n.params.uri}`);
  });
  client.onerror = (error) => errors.push(error);

  let transport: Transport;
  if ("url" in target) {
    const recordingFetch = async (url: string | URL, init?: RequestInit): Promise<Response> => {
      const exchange: ClientExchange = {
        httpMethod: init?.method ?? "GET",
        rpc: rpcOf(init?.body),
        status: 0,
        contentType: "",
      };
      exchanges.push(exchange);
      const response = await fetch(url, init);
      exchange.status = response.status;
      exchange.contentType = response.headers.get("content-type") ?? "";
      return response;
    };
    const base = target.url.endsWith("/mcp") ? target.url : `${target.url}/mcp`;
    transport = new StreamableHTTPClientTransport(new URL(base), {
      fetch: recordingFetch,
      ...(target.sessionId === undefined ? {} : { sessionId: target.sessionId }),
    });
  } else {
    transport = new StdioClientTransport({
      command: target.command,
      args: [...target.args],
      stderr: "ignore",
    });
  }
  await client.connect(transport);
  return {
    client,
    transport,
    sessionId: transport.sessionId ?? "",
    received,
    exchanges,
    errors,
    setSamplingGate: (next) => {
      gate = next;
    },
    getStreamOpen: () =>
      exchanges.some(
        (e) =>
          e.httpMethod === "GET" && e.status === 200 && e.contentType.includes("text/event-stream"),
      ),
    onprogress: (p) => {
      received.push(`progress:${p.progress}/${p.total ?? ""}:${p.message ?? ""}`);
    },
    close: () => client.close(),
  };
}

/** The messages `everything` of backend `tag` sends a client, in order (what a direct client gets). */
export function expectedEverything(tag: string, key: string): string[] {
  return [
    ...[1, 2, 3, 4, 5, 6].map((i) => `progress:${i}/6:${tag} step ${i}`),
    `log:info:${tag}:${tag} log 1`,
    `log:info:${tag}:${tag} log 2`,
    `sampling:${tag} asks`,
    `elicit-form:${tag} form`,
    `elicit-url:${tag} url:https://consent.example.com/${tag}:${tag}-${key}`,
    `elicit-complete:${tag}-${key}`,
    "roots",
  ];
}

/** The result text `everything` of backend `tag` answers when every answer reached it. */
export function expectedEverythingAnswers(tag: string): Record<string, unknown> {
  return {
    sampling: `sampled: ${tag} asks`,
    form: { action: "accept", content: { name: "Ada" } },
    url: { action: "accept" },
    roots: RecordingClientRoots.map((r) => r.uri),
  };
}
