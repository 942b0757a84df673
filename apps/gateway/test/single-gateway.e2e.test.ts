import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendFlags, startDemoBackends } from "./helpers/demo-backends.js";
import { connectClient, initializeBody, rawPost, resultText } from "./helpers/mcp-client.js";
import { CliPath, type GatewayProcess, startGatewayProcess } from "./helpers/processes.js";

describe("one gateway process on the memory store", () => {
  let backends: Awaited<ReturnType<typeof startDemoBackends>>;
  let gateway: GatewayProcess;

  beforeAll(async () => {
    backends = await startDemoBackends();
    gateway = await startGatewayProcess([
      ...backendFlags(backends.alpha, backends.beta),
      "--static-token",
      "tok-alice=alice",
      "--static-token",
      "tok-bob=bob",
      "--max-body-bytes",
      "65536",
    ]);
  });

  afterAll(async () => {
    await gateway?.stop();
    await backends?.stop();
  });

  it("serves initialize, one tool list over both backends, calls on each, terminate, then 404", async () => {
    const { client, transport, sessionId } = await connectClient(gateway.url, "tok-alice");
    expect(sessionId).toMatch(/^[\x21-\x7e]{16,}$/);
    expect(client.getServerVersion()?.name).toBe("vmcp-gateway");

    const names = (await client.listTools()).tools.map((t) => t.name).sort();
    expect(names).toEqual([
      "add",
      "alpha__echo",
      "beta__echo",
      "multiply",
      "reverse",
      "sleep",
      "word_count",
    ]);

    expect(resultText(await client.callTool({ name: "add", arguments: { a: 2, b: 3 } }))).toBe("5");
    expect(resultText(await client.callTool({ name: "reverse", arguments: { text: "abc" } }))).toBe(
      "cba",
    );
    expect(
      resultText(await client.callTool({ name: "alpha__echo", arguments: { text: "x" } })),
    ).toBe("alpha: x");
    expect(
      resultText(await client.callTool({ name: "beta__echo", arguments: { text: "x" } })),
    ).toBe("beta: x");

    const resources = await client.listResources();
    expect(resources.resources.map((r) => r.uri)).toEqual(["demo://alpha/readme"]);
    const read = await client.readResource({ uri: "demo://alpha/readme" });
    expect(JSON.stringify(read.contents)).toContain("alpha: add, multiply, sleep, echo");
    const prompts = await client.listPrompts();
    expect(prompts.prompts.map((p) => p.name)).toEqual(["greet"]);

    await expect(client.callTool({ name: "nope", arguments: {} })).rejects.toThrow(/nope/);

    await transport.terminateSession();
    await client.close();
    const after = await rawPost(
      gateway.url,
      JSON.stringify({ jsonrpc: "2.0", id: 9, method: "tools/list" }),
      {
        "mcp-session-id": sessionId,
        authorization: "Bearer tok-alice",
      },
    );
    expect(after.status).toBe(404);
    expect(after.body).toMatchObject({ jsonrpc: "2.0", error: { code: -32001 } });
  });

  it("refuses another identity (403) and a missing or unknown token (401)", async () => {
    const { client, sessionId } = await connectClient(gateway.url, "tok-alice");
    const list = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" });
    const asBob = await rawPost(gateway.url, list, {
      "mcp-session-id": sessionId,
      authorization: "Bearer tok-bob",
    });
    expect(asBob.status).toBe(403);
    expect(asBob.body).toMatchObject({ error: { code: -32002 } });
    const anonymous = await rawPost(gateway.url, list, { "mcp-session-id": sessionId });
    expect(anonymous.status).toBe(401);
    const unknown = await rawPost(gateway.url, list, {
      "mcp-session-id": sessionId,
      authorization: "Bearer nope",
    });
    expect(unknown.status).toBe(401);
    expect((await client.listTools()).tools.length).toBe(7);
    const deleteAsBob = await fetch(`${gateway.url}/mcp`, {
      method: "DELETE",
      headers: { "mcp-session-id": sessionId, authorization: "Bearer tok-bob" },
    });
    expect(deleteAsBob.status).toBe(403);
    expect((await client.listTools()).tools.length).toBe(7);
    await client.close();
  });

  it("serves a stdio backend", async () => {
    const script = CliPath.replace(/cli\.js$/, "demo-backends/beta.js");
    const stdio = await startGatewayProcess([
      "--backend",
      `gamma=stdio:${process.execPath} ${script} --stdio`,
    ]);
    try {
      const { client } = await connectClient(stdio.url);
      expect(
        resultText(await client.callTool({ name: "reverse", arguments: { text: "dts" } })),
      ).toBe("std");
      await client.close();
    } finally {
      await stdio.stop();
    }
  });

  it("answers malformed input with a clear 4xx and a JSON-RPC error body, and lives on", async () => {
    const auth = { authorization: "Bearer tok-alice" };
    const badJson = await rawPost(gateway.url, "{ not json", auth);
    expect(badJson.status).toBe(400);
    expect(badJson.body).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32700 } });

    const notRpc = await rawPost(gateway.url, JSON.stringify({ hello: "world" }), auth);
    expect(notRpc.status).toBe(400);
    expect(notRpc.body).toMatchObject({ error: { code: -32600 } });

    const huge = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "ping",
      params: { pad: "x".repeat(200_000) },
    });
    const oversized = await rawPost(gateway.url, huge, auth);
    expect(oversized.status).toBe(413);
    expect(oversized.body).toMatchObject({ error: { code: -32600 } });

    const list = JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/list" });
    const missing = await rawPost(gateway.url, list, auth);
    expect(missing.status).toBe(400);
    expect(JSON.stringify(missing.body)).toMatch(/Mcp-Session-Id/);

    // fetch refuses non-Latin-1 header values, so send raw bytes through node:http.
    const nonAscii = await rawHttp(gateway.url, "POST", list, {
      "mcp-session-id": "sess-é-ü",
      ...auth,
    });
    expect(nonAscii.status).toBe(400);
    expect(nonAscii.body).toMatch(/visible ASCII/);
    const spaced = await rawPost(gateway.url, list, { "mcp-session-id": "has space", ...auth });
    expect(spaced.status).toBe(400);

    const unknownSession = await rawPost(gateway.url, list, {
      "mcp-session-id": "no-such-session",
      ...auth,
    });
    expect(unknownSession.status).toBe(404);

    const wrongType = await rawPost(gateway.url, list, { "content-type": "text/plain", ...auth });
    expect(wrongType.status).toBe(415);

    const get = await fetch(`${gateway.url}/mcp`, { headers: auth });
    expect(get.status).toBe(406);

    const badInit = await rawPost(
      gateway.url,
      JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: {} }),
      auth,
    );
    expect(badInit.status).toBe(400);
    expect(badInit.body).toMatchObject({ error: { code: -32602 } });

    expect(gateway.alive()).toBe(true);
    const init = await rawPost(gateway.url, initializeBody(), auth);
    expect(init.status).toBe(200);
    expect(init.headers.get("mcp-session-id")).toBeTruthy();

    // tools/call params: the plain shape, one with _meta (the SDK schema's path), bad ones.
    const inSession = { "mcp-session-id": init.headers.get("mcp-session-id") ?? "", ...auth };
    const call = (params: unknown) =>
      rawPost(
        gateway.url,
        JSON.stringify({ jsonrpc: "2.0", id: 9, method: "tools/call", params }),
        inSession,
      );
    const plain = await call({ name: "add", arguments: { a: 2, b: 3 } });
    expect(plain.body).toMatchObject({ result: { content: [{ text: "5" }] } });
    const withMeta = await call({ name: "add", arguments: { a: 1, b: 1 }, _meta: {} });
    expect(withMeta.body).toMatchObject({ result: { content: [{ text: "2" }] } });
    for (const bad of [{ name: 5 }, { name: "add", arguments: [1, 2] }, { arguments: {} }, "add"]) {
      const refused = await call(bad);
      expect(refused.body).toMatchObject({ error: { code: -32602 } });
      expect(JSON.stringify(refused.body)).toMatch(/invalid params/);
    }
  });

  it("reports liveness and readiness", async () => {
    const health = await fetch(`${gateway.url}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${gateway.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ready" });
  });

  it("shuts down gracefully on SIGTERM with exit code 0", async () => {
    const extra = await startGatewayProcess(backendFlags(backends.alpha));
    const { client } = await connectClient(extra.url);
    // The call has 1 s to reach the gateway before SIGTERM (slack for a busy machine), and is
    // still running for 2 s more when the signal comes.
    const call = client.callTool({ name: "sleep", arguments: { ms: 3_000 } });
    await sleep(1_000);
    const [result, code] = await Promise.all([call, extra.stop()]);
    expect(resultText(result)).toBe("slept 3000 ms");
    expect(code).toBe(0);
    expect(extra.stderr()).toMatch(/"inFlight":1/);
    expect(extra.stderr()).toMatch(/shut down/);
  });
});

async function rawHttp(
  baseUrl: string,
  method: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const { request } = await import("node:http");
  const url = new URL(`${baseUrl}/mcp`);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method,
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          ...headers,
        },
        insecureHTTPParser: true,
      },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => {
          text += c.toString();
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}
