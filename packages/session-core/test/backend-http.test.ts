import { BackendUnavailableError, McpBackendConnector } from "@vmcp/session-core";
import {
  type JsonBackend,
  type JsonBackendOptions,
  startJsonBackend,
  waitUntil,
} from "@vmcp/test-support";
import { afterEach, describe, expect, it } from "vitest";

const backends: JsonBackend[] = [];

/** A minimal JSON-only MCP backend over a real socket, misbehaving as told. */
async function startBackend(options: JsonBackendOptions = {}): Promise<JsonBackend> {
  const backend = await startJsonBackend(options);
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
  for (const backend of backends.splice(0)) await backend.close();
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
    // Event-driven: done as soon as the client lets go; failing only if it has not by 1.9 s.
    await waitUntil(() => backend.closedByClient === backend.connections, 1_900, "client close");
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
