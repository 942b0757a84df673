import type { RedisServer } from "@vmcp/redis-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendFlags, startDemoBackends } from "./helpers/demo-backends.js";
import { initializeBody, rawPost } from "./helpers/mcp-client.js";
import { type GatewayProcess, startGatewayProcess } from "./helpers/processes.js";
import { type RedisWithBackends, startRedisWithBackends } from "./helpers/redis-backends.js";

const alice = { authorization: "Bearer tok-alice" };
const bob = { authorization: "Bearer tok-bob" };
const tokens = ["--static-token", "tok-alice=alice", "--static-token", "tok-bob=bob"];

function call(id: number, name: string, args: Record<string, unknown> = {}) {
  return { jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } };
}

async function initialize(
  url: string,
  headers: Record<string, string> = {},
  body = initializeBody(),
) {
  const response = await rawPost(url, body, headers);
  return { ...response, sessionId: response.headers.get("mcp-session-id") ?? "" };
}

describe("bounded work per request, session and caller (gateway processes)", () => {
  let backends: Awaited<ReturnType<typeof startDemoBackends>>;
  const gateways: GatewayProcess[] = [];
  const start = async (args: string[]) => {
    const gateway = await startGatewayProcess([
      ...backendFlags(backends.alpha, backends.beta),
      ...args,
    ]);
    gateways.push(gateway);
    return gateway;
  };

  beforeAll(async () => {
    backends = await startDemoBackends();
  });

  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    await backends?.stop();
  });

  it("refuses a 10,000-entry batch whole, at once, and serves a batch within maxBatchLength", async () => {
    const gateway = await start(["--max-batch-length", "5"]);
    const { sessionId } = await initialize(gateway.url);
    const inSession = { "mcp-session-id": sessionId };
    const attack = JSON.stringify(Array.from({ length: 10_000 }, (_, i) => call(i, `nope-${i}`)));
    const started = performance.now();
    const refused = await rawPost(gateway.url, attack, inSession);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({
      jsonrpc: "2.0",
      id: null,
      error: { code: -32600, data: { code: "VMCP_BATCH_TOO_LONG" } },
    });
    // Refused while it arrived: "at least N", N the entries read by then (never all 10,000).
    expect(JSON.stringify(refused.body)).toMatch(
      /at least \d+ messages is longer than the limit of 5/,
    );

    const five = Array.from({ length: 5 }, (_, i) => call(i, "add", { a: i, b: 1 }));
    const served = await rawPost(gateway.url, JSON.stringify(five), inSession);
    expect(served.status).toBe(200);
    expect(
      (served.body as { result: { content: { text: string }[] } }[]).map(
        (r) => r.result.content[0]?.text,
      ),
    ).toEqual(["1", "2", "3", "4", "5"]);
    const six = await rawPost(gateway.url, JSON.stringify([...five, call(5, "add")]), inSession);
    expect(six.status).toBe(400);
  });

  it("the default batch limit (50) refuses the 10,000-entry batch too", async () => {
    const gateway = await start([]);
    const { sessionId } = await initialize(gateway.url);
    const attack = JSON.stringify(Array.from({ length: 10_000 }, (_, i) => call(i, "add")));
    const refused = await rawPost(gateway.url, attack, { "mcp-session-id": sessionId });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toMatch(/limit of 50\b/);
  });

  it("holds a session to maxConcurrentBackendRequests in flight plus maxQueuedBackendRequests waiting; the rest get -32005 per request", async () => {
    const gateway = await start([
      "--max-concurrent-backend-requests",
      "2",
      "--max-queued-backend-requests",
      "3",
    ]);
    const { sessionId } = await initialize(gateway.url);
    const inSession = { "mcp-session-id": sessionId };
    const list = await rawPost(
      gateway.url,
      JSON.stringify({ jsonrpc: "2.0", id: 0, method: "tools/list" }),
      inSession,
    );
    expect(list.status).toBe(200);
    const batch = Array.from({ length: 10 }, (_, i) => call(i, "sleep", { ms: 300 }));
    const started = performance.now();
    const answered = await rawPost(gateway.url, JSON.stringify(batch), inSession);
    const elapsed = performance.now() - started;
    expect(answered.status).toBe(200);
    const entries = answered.body as {
      id: number;
      result?: unknown;
      error?: { code: number; data?: { code: string } };
    }[];
    const ok = entries.filter((e) => e.result !== undefined);
    const busy = entries.filter((e) => e.error?.data?.code === "VMCP_SESSION_BUSY");
    expect(ok).toHaveLength(5);
    expect(busy).toHaveLength(5);
    for (const e of busy) expect(e.error?.code).toBe(-32005);
    // 5 sleeps of 300 ms, 2 at a time: three waves.
    expect(elapsed).toBeGreaterThanOrEqual(850);
  });

  it("limits initialize per caller with a token bucket (429, Retry-After); other callers are unaffected", async () => {
    const gateway = await start([
      ...tokens,
      "--initialize-burst",
      "3",
      "--initialize-per-minute",
      "1",
    ]);
    for (let i = 0; i < 3; i++) expect((await initialize(gateway.url, alice)).status).toBe(200);
    const limited = await initialize(gateway.url, alice);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(limited.body).toMatchObject({
      error: { code: -32005, data: { code: "VMCP_INITIALIZE_RATE_LIMITED" } },
    });
    expect(limited.sessionId).toBe("");
    expect((await initialize(gateway.url, bob)).status).toBe(200);
  });

  it("caps live sessions per caller; DELETE frees a place; anonymous callers are counted by address", async () => {
    const gateway = await start([...tokens, "--max-sessions-per-caller", "2"]);
    const first = await initialize(gateway.url, alice);
    const second = await initialize(gateway.url, alice);
    expect([first.status, second.status]).toEqual([200, 200]);
    const third = await initialize(gateway.url, alice);
    expect(third.status).toBe(429);
    expect(third.body).toMatchObject({
      error: { code: -32005, data: { code: "VMCP_TOO_MANY_SESSIONS" } },
    });
    expect((await initialize(gateway.url, bob)).status).toBe(200);
    const deleted = await fetch(`${gateway.url}/mcp`, {
      method: "DELETE",
      headers: { "mcp-session-id": first.sessionId, ...alice },
    });
    expect(deleted.status).toBe(200);
    expect((await initialize(gateway.url, alice)).status).toBe(200);

    // Anonymous callers from loopback are exempt on a loopback gateway unless told otherwise.
    const open = await start(["--max-sessions-per-caller", "1", "--loopback-callers", "limited"]);
    expect((await initialize(open.url)).status).toBe(200);
    expect((await initialize(open.url)).status).toBe(429);
  });

  it("a loopback gateway with its default limits admits 60 anonymous initializes from 127.0.0.1 in one burst (a client's test suite)", async () => {
    const gateway = await start([]);
    expect(gateway.url).toMatch(/^http:\/\/127\.0\.0\.1:/);
    // 60 is three times initializeBurst (20) and above maxSessionsPerCaller (32), all at once.
    const created = await Promise.all(Array.from({ length: 60 }, () => initialize(gateway.url)));
    expect(created.map((c) => c.status)).toEqual(Array(60).fill(200));
    expect(new Set(created.map((c) => c.sessionId)).size).toBe(60);
    // Each session works.
    const last = created[59]?.sessionId ?? "";
    const served = await rawPost(gateway.url, JSON.stringify(call(1, "add", { a: 1, b: 2 })), {
      "mcp-session-id": last,
    });
    expect(served.status).toBe(200);
  });

  it("refuses a 900 KB clientInfo at initialize with -32602 and creates no session", async () => {
    const gateway = await start([]);
    const body = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "x".repeat(900 * 1024), version: "1" },
      },
    });
    const refused = await initialize(gateway.url, {}, body);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({
      error: { code: -32602, data: { code: "VMCP_SESSION_TOO_LARGE" } },
    });
    expect(JSON.stringify(refused.body)).toMatch(
      /client info is \d+ bytes, more than the limit of 16384 bytes/,
    );
    expect(refused.sessionId).toBe("");
    expect((await initialize(gateway.url)).status).toBe(200);
  });
});

describe("the TTL slides only after the owner check (gateway on Redis)", () => {
  let stack: RedisWithBackends;
  let redis: RedisServer;
  let gateway: GatewayProcess;

  beforeAll(async () => {
    stack = await startRedisWithBackends();
    redis = stack.redis;
    gateway = await startGatewayProcess([
      ...stack.storeFlags,
      ...backendFlags(stack.backends.alpha),
      ...tokens,
      "--binding-secret",
      "e2e-binding-secret-for-ttl-test",
    ]);
  });

  afterAll(async () => {
    await gateway?.stop();
    await stack?.stop();
  });

  it("a 403 or 401 caller leaves the deadline where it was; the owner's request moves it", async () => {
    const { sessionId } = await initialize(gateway.url, alice);
    const key = `vmcp:session:{${sessionId}}`;
    const soon = Date.now() + 120_000;
    await redis.cli("HSET", key, "@e", String(soon));
    await redis.cli("PEXPIREAT", key, String(soon));
    const list = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" });
    for (const headers of [bob, {}]) {
      const refused = await rawPost(gateway.url, list, { "mcp-session-id": sessionId, ...headers });
      expect([401, 403]).toContain(refused.status);
    }
    expect(await redis.cli("HGET", key, "@e")).toBe(String(soon));
    expect(Number(await redis.cli("PTTL", key))).toBeLessThanOrEqual(120_000);
    const served = await rawPost(gateway.url, list, { "mcp-session-id": sessionId, ...alice });
    expect(served.status).toBe(200);
    expect(Number(await redis.cli("HGET", key, "@e"))).toBeGreaterThan(Date.now() + 29 * 60_000);
    expect(Number(await redis.cli("PTTL", key))).toBeGreaterThan(29 * 60_000);
  });
});
