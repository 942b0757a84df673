import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { CreateMessageResultSchema } from "@modelcontextprotocol/sdk/types.js";
import {
  type BackendConnection,
  type BackendMessage,
  type BackendMessageHandler,
  type BackendMessageOrigin,
  McpBackendConnector,
} from "@vmcp/session-core";
import { waitUntil } from "@vmcp/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** A stateful SDK backend over Streamable HTTP with SSE responses; its servers by session. */
async function startBackend() {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const servers = new Map<string, McpServer>();
  const http: Server = createServer((req, res) => {
    void (async () => {
      const id = req.headers["mcp-session-id"];
      const known = typeof id === "string" ? transports.get(id) : undefined;
      if (typeof id === "string" && known === undefined) {
        res.writeHead(404).end();
        return;
      }
      if (known !== undefined) return known.handleRequest(req, res);
      const server = new McpServer(
        { name: "b", version: "1.0.0" },
        { capabilities: { logging: {}, tools: { listChanged: true } } },
      );
      server.registerTool("ask", { description: "logs, reports progress, asks" }, async (extra) => {
        await extra.sendNotification({
          method: "notifications/message",
          params: { level: "info", data: "hello" },
        });
        const token = extra._meta?.progressToken;
        if (token !== undefined) {
          await extra.sendNotification({
            method: "notifications/progress",
            params: { progressToken: token, progress: 1, total: 2 },
          });
        }
        try {
          const answer = await extra.sendRequest(
            {
              method: "sampling/createMessage",
              params: { messages: [], maxTokens: 1 },
            },
            CreateMessageResultSchema,
          );
          return { content: [{ type: "text", text: `model ${answer.model}` }] };
        } catch (error) {
          return {
            content: [{ type: "text", text: `error ${(error as { code?: number }).code}` }],
          };
        }
      });
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sid) => {
          transports.set(sid, transport);
          servers.set(sid, server);
        },
      });
      await server.connect(transport);
      await transport.handleRequest(req, res);
    })();
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    servers,
    close: async () => {
      for (const t of transports.values()) await t.close().catch(() => undefined);
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** A handler recording what it got, with the request context (an ALS store) each call ran in. */
function recordingHandler(
  scope: AsyncLocalStorage<string>,
  answer: () => Promise<Record<string, unknown>>,
) {
  const seen: { origin: BackendMessageOrigin; message: BackendMessage; context?: string }[] = [];
  const handler: BackendMessageHandler = {
    notification: (origin, message) => {
      const context = scope.getStore();
      seen.push({ origin, message, ...(context === undefined ? {} : { context }) });
    },
    request: async (origin, message) => {
      const context = scope.getStore();
      seen.push({ origin, message, ...(context === undefined ? {} : { context }) });
      return answer();
    },
  };
  return { handler, seen };
}

function text(result: Record<string, unknown>): unknown {
  return (result.content as { text?: string }[])[0]?.text;
}

describe("a connector's messages handler (real SDK server over Streamable HTTP)", () => {
  let backend: Awaited<ReturnType<typeof startBackend>>;
  const target = { workloadId: "w", transport: { kind: "streamable-http" as const, url: "" } };
  const connections: BackendConnection[] = [];
  beforeAll(async () => {
    backend = await startBackend();
    target.transport.url = backend.url;
  });
  afterAll(async () => {
    for (const c of connections) await c.close();
    await backend.close();
  });

  async function connect(handler: BackendMessageHandler | undefined, sessionId?: string) {
    const connector = new McpBackendConnector(handler === undefined ? {} : { messages: handler });
    const connection = await connector.connect(
      target,
      undefined,
      AbortSignal.timeout(5_000),
      sessionId === undefined ? {} : { sessionId, clientCapabilities: { sampling: {} } },
    );
    connections.push(connection);
    return { connector, connection };
  }

  it("hands notifications, progress under the client's own token and server requests to the handler, each in the context of its request", async () => {
    const scope = new AsyncLocalStorage<string>();
    const { handler, seen } = recordingHandler(scope, async () => ({
      role: "assistant",
      model: "m-1",
      content: { type: "text", text: "hi" },
    }));
    const { connection } = await connect(handler, "session-1");
    const result = await scope.run("request-A", () =>
      (connection.request as NonNullable<BackendConnection["request"]>)("tools/call", {
        name: "ask",
        _meta: { progressToken: "client-token-7" },
      }),
    );
    expect(text(result)).toBe("model m-1");
    expect(seen.map((s) => s.message.method)).toEqual([
      "notifications/message",
      "notifications/progress",
      "sampling/createMessage",
    ]);
    for (const s of seen) expect(s.origin).toEqual({ sessionId: "session-1", workloadId: "w" });
    expect(seen[1]?.message.params).toMatchObject({ progressToken: "client-token-7", progress: 1 });
    // Over Streamable HTTP the message came on the request's own response stream: exact.
    expect(seen.map((s) => s.context)).toEqual(["request-A", "request-A", "request-A"]);
  });

  it("a handler's rejection reaches the backend as its JSON-RPC error code", async () => {
    const scope = new AsyncLocalStorage<string>();
    const { handler } = recordingHandler(scope, async () => {
      throw Object.assign(new Error("no"), { code: -32042 });
    });
    const { connection } = await connect(handler, "session-2");
    const result = await (connection.request as NonNullable<BackendConnection["request"]>)(
      "tools/call",
      { name: "ask" },
    );
    expect(text(result)).toBe("error -32042");
  });

  it("without a session in the connect context nothing is relayed: the backend's request is Method not found", async () => {
    const scope = new AsyncLocalStorage<string>();
    const { handler, seen } = recordingHandler(scope, async () => ({}));
    const { connection } = await connect(handler);
    const result = await (connection.request as NonNullable<BackendConnection["request"]>)(
      "tools/call",
      { name: "ask" },
    );
    expect(text(result)).toBe("error -32601");
    expect(seen).toEqual([]);
  });

  it("a reattached connection opens its GET stream, so unsolicited notifications keep coming", async () => {
    const scope = new AsyncLocalStorage<string>();
    const { handler, seen } = recordingHandler(scope, async () => ({}));
    const { connection: first } = await connect(undefined, "session-3");
    const sessionId = first.sessionId;
    await first.close(); // its GET stream to the backend goes with it
    const connector = new McpBackendConnector({ messages: handler });
    const again = await connector.connect(
      target,
      {
        sessionId,
        ...(first.protocolVersion === undefined ? {} : { protocolVersion: first.protocolVersion }),
      },
      AbortSignal.timeout(5_000),
      { sessionId: "session-3" },
    );
    connections.push(again);
    const server = backend.servers.get(sessionId);
    await waitUntil(
      () => {
        server?.sendToolListChanged();
        return seen.some((s) => s.message.method === "notifications/tools/list_changed");
      },
      5_000,
      "list_changed on the reattached connection",
      100,
    );
    expect(seen[0]?.origin).toEqual({ sessionId: "session-3", workloadId: "w" });
  });

  it("a reattached connection whose backend stream is held elsewhere takes it over once the holder lets go", async () => {
    const scope = new AsyncLocalStorage<string>();
    const { handler, seen } = recordingHandler(scope, async () => ({}));
    // The holder: a fresh connection, which opened the backend session's one GET stream.
    const { connection: holder } = await connect(undefined, "session-4");
    const sessionId = holder.sessionId;
    const connector = new McpBackendConnector({ messages: handler });
    const follower = await connector.connect(
      target,
      {
        sessionId,
        ...(holder.protocolVersion === undefined
          ? {}
          : { protocolVersion: holder.protocolVersion }),
      },
      AbortSignal.timeout(5_000),
      { sessionId: "session-4" },
    );
    connections.push(follower);
    await holder.close(); // e.g. the replica that created the session evicted it
    const server = backend.servers.get(sessionId);
    await waitUntil(
      () => {
        server?.sendToolListChanged();
        return seen.some((s) => s.message.method === "notifications/tools/list_changed");
      },
      15_000,
      "list_changed on the follower once the holder let go",
      200,
    );
  }, 30_000);
});
