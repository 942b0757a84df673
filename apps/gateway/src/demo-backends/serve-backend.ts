import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";

/** A running demo backend over Streamable HTTP. */
export interface RunningBackend {
  /** The MCP endpoint, e.g. `http://127.0.0.1:40123/mcp`. */
  readonly url: string;
  /** Live backend sessions (one per gateway session that connected). */
  sessionCount(): number;
  /** Stops accepting connections and closes every session. */
  close(): Promise<void>;
}

/**
 * Serves fresh `McpServer`s from `makeServer` over stateful Streamable HTTP at `/mcp` on
 * `host:port` (port 0 picks a free one): one server and one transport per backend session, with
 * the session ID minted here (a random UUID), JSON responses, and DELETE ending a session.
 */
export async function serveBackendHttp(
  makeServer: () => McpServer,
  options: { host?: string; port?: number } = {},
): Promise<RunningBackend> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const http: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: String(error) }));
      } else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/healthz") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: true, sessions: sessions.size }));
      return;
    }
    if (path !== "/mcp") {
      res.writeHead(404).end();
      return;
    }
    const header = req.headers["mcp-session-id"];
    const sessionId = typeof header === "string" ? header : undefined;
    if (sessionId !== undefined) {
      const transport = sessions.get(sessionId);
      if (transport === undefined) {
        res.writeHead(404, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            jsonrpc: "2.0",
            error: { code: -32001, message: "Session not found" },
            id: null,
          }),
        );
        return;
      }
      await transport.handleRequest(req, res);
      return;
    }
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: true,
      onsessioninitialized: (id) => {
        sessions.set(id, transport);
      },
      onsessionclosed: (id) => {
        sessions.delete(id);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
    };
    await makeServer().connect(transport);
    await transport.handleRequest(req, res);
  }

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = http.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}/mcp`,
    sessionCount: () => sessions.size,
    close: async () => {
      for (const transport of sessions.values()) await transport.close().catch(() => undefined);
      sessions.clear();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** Serves one `McpServer` from `makeServer` over this process's stdin/stdout. */
export async function serveBackendStdio(makeServer: () => McpServer): Promise<void> {
  await makeServer().connect(new StdioServerTransport());
}

/**
 * The command line of a demo backend process: `--stdio` serves over stdin/stdout; otherwise
 * `--port N` (default 0, a free port) and `--host H` (default 127.0.0.1) over Streamable HTTP,
 * and the process prints one JSON line `{"name","url"}` to stdout once listening, then runs until
 * SIGTERM or SIGINT.
 */
export async function runBackendMain(name: string, makeServer: () => McpServer): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes("--stdio")) {
    await serveBackendStdio(makeServer);
    return;
  }
  const portArg = flagValue(args, "--port");
  const port = portArg === undefined ? 0 : Number(portArg);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`${name}: --port must be an integer from 0 to 65535\n`);
    process.exit(2);
  }
  const running = await serveBackendHttp(makeServer, {
    host: flagValue(args, "--host") ?? "127.0.0.1",
    port,
  });
  process.stdout.write(`${JSON.stringify({ name, url: running.url })}\n`);
  const stop = () => {
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

function flagValue(args: readonly string[], flag: string): string | undefined {
  const at = args.indexOf(flag);
  return at === -1 ? undefined : args[at + 1];
}
