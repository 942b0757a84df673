import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { gzipSync } from "node:zlib";

/** How a {@link startJsonBackend} backend behaves; every field is optional. */
export interface JsonBackendOptions {
  /** The `serverInfo.name` it announces. Default `"json-backend"`. */
  readonly name?: string;
  /** Delay before answering `initialize`, ms. Default 0. */
  readonly initializeDelayMs?: number;
  /** Compress every JSON response with gzip (`Content-Encoding: gzip`). Default false. */
  readonly gzip?: boolean;
  /** Answers `tools/call` on `/mcp` with a 307 to this URL (absolute, or a path on this server). */
  readonly redirectTo?: string;
  /** Destroys the socket instead of answering `tools/call`. Default false. */
  readonly drop?: boolean;
  /** Answers `tools/call` with a 500 and this text. */
  readonly failWith?: string;
  /** The server's keep-alive timeout, ms (announced as `Keep-Alive: timeout=<s>`). Node's default. */
  readonly keepAliveMs?: number;
}

/**
 * A minimal stateful MCP backend over Streamable HTTP that answers with plain JSON (never SSE).
 * No SDK: its cost is near zero, so a benchmark measures the client side, and it can misbehave
 * in ways an SDK server will not (see {@link JsonBackendOptions}).
 */
export interface JsonBackend {
  /** `http://127.0.0.1:<port>/mcp`. */
  readonly url: string;
  /** JSON-RPC methods received, counted (`initialize`, `ping`, `tools/call`, ...). */
  readonly methods: Map<string, number>;
  /** The path of every POST received, in order. */
  readonly posts: string[];
  /** TCP connections accepted so far. */
  readonly connections: number;
  /** Connections the client closed (FIN received) so far. */
  readonly closedByClient: number;
  /** Closes every connection and the listener. */
  close(): Promise<void>;
}

interface Rpc {
  readonly id?: string | number;
  readonly method?: string;
  readonly params?: {
    readonly protocolVersion?: string;
    readonly arguments?: { readonly a?: unknown; readonly b?: unknown };
  };
}

const SessionNotFound = JSON.stringify({
  jsonrpc: "2.0",
  id: null,
  error: { code: -32001, message: "Session not found" },
});

async function readAll(req: IncomingMessage): Promise<string> {
  let text = "";
  for await (const chunk of req) text += String(chunk);
  return text;
}

/**
 * Starts a {@link JsonBackend} on a free loopback port. It answers `initialize` (after
 * `initializeDelayMs`) with a new `Mcp-Session-Id`; `ping`; `tools/list` (one tool, `add`);
 * `tools/call` (any name: the text of `a + b`, missing numbers counting 0); notifications with
 * 202; refuses the GET stream (405); ends a session on DELETE; answers 404 for an unknown
 * session, as the spec says.
 */
export async function startJsonBackend(options: JsonBackendOptions = {}): Promise<JsonBackend> {
  const methods = new Map<string, number>();
  const posts: string[] = [];
  const sessions = new Set<string>();
  let connections = 0;
  let closedByClient = 0;

  const send = (res: ServerResponse, status: number, body: unknown, headers = {}) => {
    const text = JSON.stringify(body);
    const gzip = options.gzip === true;
    res.writeHead(status, {
      "content-type": "application/json",
      ...headers,
      ...(gzip ? { "content-encoding": "gzip" } : {}),
    });
    res.end(gzip ? gzipSync(text) : text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const header = req.headers["mcp-session-id"];
    const sessionId = Array.isArray(header) ? header[0] : header;
    if (req.method === "GET") return void res.writeHead(405).end();
    if (req.method === "DELETE") {
      const known = sessionId !== undefined && sessions.delete(sessionId);
      return void res.writeHead(known ? 200 : 404).end();
    }
    const rpc = JSON.parse(await readAll(req)) as Rpc;
    posts.push(req.url ?? "");
    const method = rpc.method ?? "";
    methods.set(method, (methods.get(method) ?? 0) + 1);
    if (method === "initialize") {
      if (options.initializeDelayMs) await sleep(options.initializeDelayMs);
      const id = randomUUID();
      sessions.add(id);
      const result = {
        protocolVersion: rpc.params?.protocolVersion ?? "2025-06-18",
        capabilities: { tools: {} },
        serverInfo: { name: options.name ?? "json-backend", version: "1.0.0" },
      };
      return send(res, 200, { jsonrpc: "2.0", id: rpc.id, result }, { "mcp-session-id": id });
    }
    if (sessionId === undefined || !sessions.has(sessionId)) {
      res.writeHead(404, { "content-type": "application/json" }).end(SessionNotFound);
      return;
    }
    if (rpc.id === undefined) return void res.writeHead(202).end();
    let result: unknown = {};
    if (method === "tools/list") {
      result = { tools: [{ name: "add", inputSchema: { type: "object" } }] };
    } else if (method === "tools/call") {
      if (options.drop === true) return void req.socket.destroy();
      if (options.failWith !== undefined) {
        return void res.writeHead(500, { "content-type": "text/plain" }).end(options.failWith);
      }
      if (options.redirectTo !== undefined && req.url === "/mcp") {
        return void res.writeHead(307, { location: options.redirectTo }).end();
      }
      const a = Number(rpc.params?.arguments?.a ?? 0);
      const b = Number(rpc.params?.arguments?.b ?? 0);
      result = { content: [{ type: "text", text: String(a + b) }] };
    }
    send(res, 200, { jsonrpc: "2.0", id: rpc.id, result });
  };

  const http: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(error));
    });
  });
  if (options.keepAliveMs !== undefined) http.keepAliveTimeout = options.keepAliveMs;
  http.on("connection", (socket) => {
    connections++;
    socket.once("end", () => closedByClient++);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    methods,
    posts,
    get connections() {
      return connections;
    },
    get closedByClient() {
      return closedByClient;
    },
    close: async () => {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
