import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  startJsonBackend,
  startMcpBackend,
  startRemoteJsonBackends,
  stdioBackendScript,
  waitUntil,
} from "@vmcp/test-support";
import { describe, expect, it } from "vitest";

function text(result: Record<string, unknown>): string {
  return (result.content as Array<{ text?: string }> | undefined)?.[0]?.text ?? "";
}

async function connectHttp(
  url: string,
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name: "test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  return { client, transport };
}

describe("startMcpBackend", () => {
  it("counts the GET /mcp stream a client holds open, per session, until it closes", async () => {
    const backend = await startMcpBackend("alpha");
    try {
      const { client, transport } = await connectHttp(backend.url);
      const sessionId = transport.sessionId ?? "";
      await waitUntil(() => backend.openGetStreams.get(sessionId) === 1, 5_000, "a GET stream");
      await client.close();
      await waitUntil(() => backend.openGetStreams.size === 0, 5_000, "the GET stream closed");
    } finally {
      await backend.close();
    }
  });

  it("serves the test tools to a real SDK client, counts methods, and pauses, resumes and forgets", async () => {
    const backend = await startMcpBackend("alpha");
    try {
      const { client } = await connectHttp(backend.url);
      const tools = (await client.listTools()).tools.map((t) => t.name).sort();
      expect(tools).toEqual(["echo", "whoami_alpha"]);
      expect(text(await client.callTool({ name: "echo", arguments: { text: "hi" } }))).toBe(
        "alpha:hi",
      );
      expect(backend.initializeCount).toBe(1);
      expect(backend.methods.get("tools/call")).toBe(1);
      expect(backend.sessionIds).toHaveLength(1);

      await backend.pause();
      await expect(client.callTool({ name: "echo", arguments: { text: "x" } })).rejects.toThrow();
      await backend.resume();
      expect(text(await client.callTool({ name: "echo", arguments: { text: "b" } }))).toBe(
        "alpha:b",
      );

      await backend.forgetSessions();
      await expect(client.callTool({ name: "echo", arguments: { text: "x" } })).rejects.toThrow(
        /404|not found/i,
      );
      await client.close();
    } finally {
      await backend.close();
    }
  });

  it("takes its own server, stateless, with a slow initialize", async () => {
    const { McpServer } = await import("@modelcontextprotocol/sdk/server/mcp.js");
    const backend = await startMcpBackend("solo", {
      stateless: true,
      initializeDelayMs: 100,
      makeServer: (id) => {
        const server = new McpServer({ name: id, version: "1.0.0" });
        server.registerTool("only", { description: "one tool" }, async () => ({
          content: [{ type: "text", text: `only ${id}` }],
        }));
        return server;
      },
    });
    try {
      const started = performance.now();
      const { client, transport } = await connectHttp(backend.url);
      expect(performance.now() - started).toBeGreaterThanOrEqual(90);
      expect(transport.sessionId).toBeUndefined();
      expect(text(await client.callTool({ name: "only", arguments: {} }))).toBe("only solo");
      await client.close();
    } finally {
      await backend.close();
    }
  });
});

describe("startJsonBackend", () => {
  it("answers gzip-compressed JSON, counts methods and connections, and 404s an unknown session", async () => {
    const backend = await startJsonBackend({ gzip: true });
    try {
      const { client } = await connectHttp(backend.url);
      expect(text(await client.callTool({ name: "add", arguments: { a: 2, b: 3 } }))).toBe("5");
      expect(backend.methods.get("initialize")).toBe(1);
      expect(backend.posts.every((p) => p === "/mcp")).toBe(true);
      expect(backend.connections).toBeGreaterThanOrEqual(1);
      await client.close();
      const stale = await fetch(backend.url, {
        method: "POST",
        headers: { "content-type": "application/json", "mcp-session-id": "nope" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
      });
      expect(stale.status).toBe(404);
    } finally {
      await backend.close();
    }
  });

  it("runs in a child process and reports its counts", async () => {
    const remote = await startRemoteJsonBackends(2);
    try {
      expect(remote.urls).toHaveLength(2);
      for (const url of remote.urls) {
        const { client } = await connectHttp(url);
        await client.close();
      }
      expect((await remote.counts()).initialize).toBe(2);
    } finally {
      await remote.close();
    }
  });
});

describe("the stdio backend", () => {
  it("announces itself on stderr and writes what `tell` says there", async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [stdioBackendScript, "--announce"],
      stderr: "pipe",
    });
    let stderr = "";
    transport.stderr?.on("data", (chunk: Buffer) => {
      stderr += String(chunk);
    });
    const client = new Client({ name: "test", version: "1.0.0" });
    await client.connect(transport);
    try {
      const pid = text(await client.callTool({ name: "pid", arguments: {} }));
      await client.callTool({ name: "tell", arguments: { text: "disk almost full" } });
      await waitUntil(() => stderr.includes("disk almost full\n"), 5_000, "stderr line");
      expect(stderr).toContain(`backend ready, pid ${pid}\n`);
      expect(text(await client.callTool({ name: "shout", arguments: { text: "hi" } }))).toBe(
        `HI from ${pid}`,
      );
    } finally {
      await client.close();
    }
  });
});

describe("waitUntil", () => {
  it("resolves once the probe holds and rejects, naming what, after the timeout", async () => {
    let ready = false;
    setTimeout(() => {
      ready = true;
    }, 50);
    expect(await waitUntil(() => ready, 5_000)).toBeGreaterThanOrEqual(40);
    await expect(waitUntil(() => false, 100, "the impossible")).rejects.toThrow(
      "the impossible not met within 100 ms",
    );
  });
});
