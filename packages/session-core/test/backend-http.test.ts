import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { BackendUnavailableError, McpBackendConnector } from "@vmcp/session-core";
import { afterEach, describe, expect, it } from "vitest";

/** How the hand-written Streamable HTTP backend below misbehaves on `tools/call`. */
interface Behaviour {
  gzip?: boolean;
  /** Answers `tools/call` with a 307 to this URL (absolute, or a path on the same server). */
  redirectTo?: string;
  /** Destroys the socket instead of answering `tools/call`. */
  drop?: boolean;
  /** Answers `tools/call` with a 500 and this text. */
  failWith?: string;
  /** The server's keep-alive timeout, ms (announced as `Keep-Alive: timeout=<s>`). */
  keepAliveMs?: number;
}

interface Backend {
  readonly url: string;
  readonly server: Server;
  /** TCP connections accepted so far. */
  connections: number;
  /** Connections the client closed (FIN received) so far. */
  closedByClient: number;
  /** POSTs received so far, by path. */
  readonly posts: string[];
}

const backends: Backend[] = [];

async function readAll(req: IncomingMessage): Promise<string> {
  let text = "";
  for await (const chunk of req) text += String(chunk);
  return text;
}

/** A minimal MCP backend speaking Streamable HTTP with JSON responses, over a real socket. */
async function startBackend(behaviour: Behaviour = {}): Promise<Backend> {
  const server = createServer((req, res) => {
    void (async () => {
      if (req.method === "GET") return void res.writeHead(405).end();
      if (req.method === "DELETE") return void res.writeHead(200).end();
      const message = JSON.parse(await readAll(req)) as {
        id?: number;
        method: string;
        params?: { protocolVersion?: string; arguments?: { a: number; b: number } };
      };
      backend.posts.push(req.url ?? "");
      if (message.id === undefined) return void res.writeHead(202).end();
      let result: unknown = {};
      if (message.method === "initialize") {
        result = {
          protocolVersion: message.params?.protocolVersion,
          capabilities: { tools: {} },
          serverInfo: { name: "http-test", version: "1.0.0" },
        };
      } else if (message.method === "tools/call") {
        if (behaviour.drop === true) return void req.socket.destroy();
        if (behaviour.failWith !== undefined) {
          return void res.writeHead(500, { "content-type": "text/plain" }).end(behaviour.failWith);
        }
        if (behaviour.redirectTo !== undefined && req.url === "/mcp") {
          return void res.writeHead(307, { location: behaviour.redirectTo }).end();
        }
        const args = message.params?.arguments ?? { a: 0, b: 0 };
        result = { content: [{ type: "text", text: String(args.a + args.b) }] };
      }
      const text = JSON.stringify({ jsonrpc: "2.0", id: message.id, result });
      const gzip = behaviour.gzip === true;
      res.writeHead(200, {
        "content-type": "application/json",
        "mcp-session-id": "backend-session-1",
        ...(gzip ? { "content-encoding": "gzip" } : {}),
      });
      res.end(gzip ? gzipSync(text) : text);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const backend: Backend = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    server,
    connections: 0,
    closedByClient: 0,
    posts: [],
  };
  if (behaviour.keepAliveMs !== undefined) server.keepAliveTimeout = behaviour.keepAliveMs;
  server.on("connection", (socket) => {
    backend.connections++;
    socket.once("end", () => backend.closedByClient++);
  });
  backends.push(backend);
  return backend;
}

async function connect(url: string) {
  return new McpBackendConnector().connect(
    { workloadId: "w", transport: { kind: "streamable-http", url } },
    undefined,
    AbortSignal.timeout(5_000),
  );
}

function text(result: { content: unknown }): unknown {
  return (result.content as { text?: string }[])[0]?.text;
}

afterEach(async () => {
  for (const backend of backends.splice(0)) {
    backend.server.closeAllConnections();
    await new Promise<void>((resolve) => backend.server.close(() => resolve()));
  }
});

describe("McpBackendConnector over HTTP (real SDK client, real sockets)", () => {
  it("sends sequential calls over one kept-alive connection", async () => {
    const backend = await startBackend();
    const connection = await connect(backend.url);
    await connection.callTool("add", { a: 0, b: 0 });
    const opened = backend.connections;
    for (let i = 0; i < 5; i++) {
      expect(text(await connection.callTool("add", { a: i, b: 1 }))).toBe(String(i + 1));
    }
    expect(backend.connections).toBe(opened);
    await connection.terminate();
  });

  it("closes an idle socket before the backend's announced keep-alive timeout", async () => {
    // Keep-Alive: timeout=2: the client must let go after about 1 s, before the server's 2 s.
    const backend = await startBackend({ keepAliveMs: 2_000 });
    const connection = await connect(backend.url);
    await connection.callTool("add", { a: 1, b: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    expect(backend.closedByClient).toBe(backend.connections);
    expect(text(await connection.callTool("add", { a: 2, b: 2 }))).toBe("4");
    await connection.close();
  });

  it("decodes a gzip-compressed response", async () => {
    const backend = await startBackend({ gzip: true });
    const connection = await connect(backend.url);
    expect(text(await connection.callTool("add", { a: 2, b: 3 }))).toBe("5");
    await connection.close();
  });

  it("follows a same-origin redirect and refuses one to another origin", async () => {
    const same = await startBackend({ redirectTo: "/mcp-moved" });
    const viaSame = await connect(same.url);
    expect(text(await viaSame.callTool("add", { a: 1, b: 1 }))).toBe("2");
    expect(same.posts).toContain("/mcp-moved");
    await viaSame.close();

    const elsewhere = await startBackend();
    const cross = await startBackend({ redirectTo: elsewhere.url });
    const viaCross = await connect(cross.url);
    await expect(viaCross.callTool("add", { a: 1, b: 1 })).rejects.toThrow(/not followed/);
    expect(elsewhere.posts).toEqual([]);
    await viaCross.close();
  });

  it("an HTTP error carries the backend's text, and the connection keeps working", async () => {
    const backend = await startBackend({ failWith: "backend exploded" });
    const connection = await connect(backend.url);
    await expect(connection.callTool("add", { a: 1, b: 1 })).rejects.toThrow(/backend exploded/);
    await expect(connection.callTool("add", { a: 1, b: 1 })).rejects.toThrow(/backend exploded/);
    await connection.close();
  });

  it("a connection lost mid-call is BackendUnavailableError", async () => {
    const backend = await startBackend({ drop: true });
    const connection = await connect(backend.url);
    const failure = await connection.callTool("add", { a: 1, b: 1 }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(BackendUnavailableError);
    await connection.close();
  });
});
