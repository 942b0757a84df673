import { setTimeout as sleep } from "node:timers/promises";
import type { RedisServer } from "@vmcp/redis-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendFlags, type DemoBackends, startDemoBackends } from "./helpers/demo-backends.js";
import {
  attachClient,
  connectClient,
  initializeBody,
  rawPost,
  resultText,
} from "./helpers/mcp-client.js";
import { type GatewayProcess, runCli, startGatewayProcess } from "./helpers/processes.js";
import { type RedisWithBackends, startRedisWithBackends } from "./helpers/redis-backends.js";

const tokens = ["--static-token", "tok-alice=alice", "--static-token", "tok-bob=bob"];
const listBody = JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/list" });

interface StoredView {
  id: string;
  metadata: Record<string, string>;
  backends: { workloadId: string; sessionId?: string }[];
}

describe("gateway replicas sharing one Redis", () => {
  let stack: RedisWithBackends;
  let redis: RedisServer;
  let backends: DemoBackends;
  const gateways: GatewayProcess[] = [];

  const storeFlags = () => stack.storeFlags;
  const startReplica = async (extra: string[] = []) => {
    const gateway = await startGatewayProcess([
      ...storeFlags(),
      ...backendFlags(backends.alpha, backends.beta),
      ...tokens,
      "--binding-secret",
      "e2e-binding-secret-shared-by-replicas",
      ...extra,
    ]);
    gateways.push(gateway);
    return gateway;
  };
  const showStored = async (id: string): Promise<StoredView | undefined> => {
    const shown = await runCli(["sessions", "show", "--json", ...storeFlags(), "--", id]);
    if (shown.code === 1) return undefined;
    expect(shown.code, shown.stderr).toBe(0);
    return JSON.parse(shown.stdout) as StoredView;
  };

  beforeAll(async () => {
    stack = await startRedisWithBackends();
    ({ redis, backends } = stack);
  });

  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    await stack?.stop();
  });

  it("serves one session alternately on two replicas, stores its metadata, survives losing the first, refuses another identity", async () => {
    const [a, b] = await Promise.all([startReplica(), startReplica()]);
    const onA = await connectClient(a.url, "tok-alice");
    const onB = await attachClient(b.url, onA.sessionId, "tok-alice");

    // B never saw initialize: it restores the session from Redis.
    expect(resultText(await onB.client.callTool({ name: "add", arguments: { a: 1, b: 2 } }))).toBe(
      "3",
    );
    expect(
      resultText(await onA.client.callTool({ name: "reverse", arguments: { text: "ab" } })),
    ).toBe("ba");
    expect(
      resultText(await onB.client.callTool({ name: "beta__echo", arguments: { text: "b" } })),
    ).toBe("beta: b");
    expect(
      resultText(await onA.client.callTool({ name: "alpha__echo", arguments: { text: "a" } })),
    ).toBe("alpha: a");
    expect((await onB.client.listTools()).tools.length).toBe(7);

    const stored = await showStored(onA.sessionId);
    expect(stored?.metadata["vmcp.backend.ids"]).toBe("alpha,beta");
    const sessionKeys = Object.keys(stored?.metadata ?? {}).filter((k) =>
      k.startsWith("vmcp.backend.session."),
    );
    expect(sessionKeys.sort()).toEqual(["vmcp.backend.session.alpha", "vmcp.backend.session.beta"]);
    for (const key of sessionKeys) expect(stored?.metadata[key]).not.toBe("");
    expect(stored?.metadata["vmcp.identity.subject"]).toBe("alice");

    const listed = await runCli(["sessions", "list", ...storeFlags()]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(onA.sessionId);

    for (const replica of [a, b]) {
      const asBob = await rawPost(replica.url, listBody, {
        "mcp-session-id": onA.sessionId,
        authorization: "Bearer tok-bob",
      });
      expect(asBob.status).toBe(403);
    }

    // `sessions delete` removes a session from the store: both replicas answer 404 at once,
    // although both hold it live.
    const doomed = await connectClient(a.url, "tok-alice");
    await attachClient(b.url, doomed.sessionId, "tok-alice").then((c) => c.client.listTools());
    const deleted = await runCli(["sessions", "delete", ...storeFlags(), "--", doomed.sessionId]);
    expect(deleted.code, deleted.stderr).toBe(0);
    for (const replica of [a, b]) {
      const gone = await rawPost(replica.url, listBody, {
        "mcp-session-id": doomed.sessionId,
        authorization: "Bearer tok-alice",
      });
      expect(gone.status).toBe(404);
    }
    expect(
      (await runCli(["sessions", "delete", ...storeFlags(), "--", doomed.sessionId])).code,
    ).toBe(1);

    await a.kill();
    expect(
      resultText(await onB.client.callTool({ name: "multiply", arguments: { a: 6, b: 7 } })),
    ).toBe("42");
    expect(
      resultText(await onB.client.callTool({ name: "word_count", arguments: { text: "a b c" } })),
    ).toBe("3");

    await onB.transport.terminateSession();
    const after = await rawPost(b.url, listBody, {
      "mcp-session-id": onA.sessionId,
      authorization: "Bearer tok-alice",
    });
    expect(after.status).toBe(404);
    expect(await showStored(onA.sessionId)).toBeUndefined();
  });

  it("a backend killed mid-session: the other backend keeps working and the stored metadata drops the dead one", async () => {
    const ownBackends = await startDemoBackends();
    const gateway = await startGatewayProcess([
      ...storeFlags(),
      ...backendFlags(ownBackends.alpha, ownBackends.beta),
      ...tokens,
      "--binding-secret",
      "e2e-binding-secret-shared-by-replicas",
    ]);
    gateways.push(gateway);
    try {
      const { client, sessionId } = await connectClient(gateway.url, "tok-alice");
      expect((await client.listTools()).tools.length).toBe(7);
      await ownBackends.beta.kill();

      await expect(client.callTool({ name: "reverse", arguments: { text: "x" } })).rejects.toThrow(
        /beta/,
      );
      expect(resultText(await client.callTool({ name: "add", arguments: { a: 2, b: 2 } }))).toBe(
        "4",
      );
      const names = (await client.listTools()).tools.map((t) => t.name).sort();
      expect(names).toEqual(["add", "echo", "multiply", "sleep"]);

      const stored = await showStored(sessionId);
      expect(stored?.metadata["vmcp.backend.ids"]).toBe("alpha");
      expect(stored?.metadata["vmcp.backend.session.beta"]).toBeUndefined();
      expect(stored?.metadata["vmcp.backend.session.alpha"]).toBeTruthy();
      expect(gateway.alive()).toBe(true);
      await client.close();
    } finally {
      await ownBackends.stop();
    }
  });

  it("Redis unreachable: 503 with a JSON-RPC error, no crash, and service resumes when Redis is back", async () => {
    const gateway = await startReplica();
    const { client, sessionId } = await connectClient(gateway.url, "tok-alice");
    const auth = { "mcp-session-id": sessionId, authorization: "Bearer tok-alice" };

    redis.pause();
    try {
      const started = Date.now();
      const during = await rawPost(gateway.url, listBody, auth);
      expect(during.status).toBe(503);
      expect(during.body).toMatchObject({ jsonrpc: "2.0", error: { code: -32000 } });
      expect(Date.now() - started).toBeLessThan(10_000);
      const init = await rawPost(gateway.url, initializeBody(), {
        authorization: "Bearer tok-alice",
      });
      expect(init.status).toBe(503);
      expect((await fetch(`${gateway.url}/readyz`)).status).toBe(503);
      expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
    } finally {
      redis.resume();
    }
    // The same session goes on once Redis answers again.
    expect(resultText(await client.callTool({ name: "add", arguments: { a: 5, b: 5 } }))).toBe(
      "10",
    );

    // A Redis restart (no persistence): old sessions are gone (404), new ones work.
    await redis.stop();
    expect((await rawPost(gateway.url, listBody, auth)).status).toBe(503);
    await redis.restart();
    let ready = 0;
    for (let i = 0; i < 50 && ready !== 200; i++) {
      ready = (await fetch(`${gateway.url}/readyz`)).status;
      if (ready !== 200) await sleep(100);
    }
    expect(ready).toBe(200);
    expect((await rawPost(gateway.url, listBody, auth)).status).toBe(404);
    const fresh = await connectClient(gateway.url, "tok-alice");
    expect(
      resultText(await fresh.client.callTool({ name: "add", arguments: { a: 1, b: 1 } })),
    ).toBe("2");
    expect(gateway.alive()).toBe(true);
    expect(gateway.stderr()).not.toMatch(/unhandled|uncaught/i);
    await fresh.client.close();
    await client.close();
  });
});
