/**
 * Issue 21, both directions with stdio backends written on SDK v2 (fixtures/v2-stdio-backend.mjs:
 * an `McpServer` served by `serveStdio`, and one by `server.connect(new StdioServerTransport())`),
 * whose tool asks for input by returning `inputRequired(...)`: the gateway reaches them with
 * `initialize`, so the SDK's legacy shim turns each round into real server-to-client requests.
 * Two gateways on one real Redis behind the round-robin proxy (requests alternate), real tokens:
 * - a 2025-era client (SDK v1, real handlers): progress arrives, its answers land on the other
 *   replica and reach the waiting backend, the result is right;
 * - a 2026-07-28 client (SDK v2 pinned): the backend's mid-call requests become `input_required`
 *   rounds parked on the replica holding the process, the retries land on the other replica,
 *   progress arrives on each retry's stream;
 * - the processes are counted while the clients live and all reaped after they end.
 * And the limit: an SDK v2 stdio server serving 2026-07-28 only is not reached at all.
 */
import { fileURLToPath } from "node:url";
import type { Client as ModernClient } from "@modelcontextprotocol/client";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { type RedisServer, startRedisServer } from "@vmcp/redis-harness";
import { waitUntil } from "@vmcp/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LoggedGateway, startLoggedGateway } from "./helpers/in-process.js";
import { resultText } from "./helpers/mcp-client.js";
import { connectModernClient } from "./helpers/modern-client.js";
import { childProcessesRunning } from "./helpers/processes.js";
import { type RoundRobinProxy, startRoundRobinProxy } from "./helpers/round-robin-proxy.js";

/** The SDK v2 stdio backend's script: `node <path> <name> [--connect] [--modern-only]`. */
const V2StdioScript = fileURLToPath(new URL("./fixtures/v2-stdio-backend.mjs", import.meta.url));
const BindingSecret = "v2-stdio-backend-binding-secret-0123";
const Tokens = { "tok-alice": { issuer: "static", subject: "alice" } };
/** The replicas' idle bound, ms: live sessions (and their processes) go this long after their last request. */
const IdleTimeoutMs = 3_000;
/** SIGTERM to SIGKILL for a stopped stdio process, ms. */
const StopGraceMs = 500;
const Capabilities = { elicitation: { form: {} }, sampling: {}, roots: {} };

/** PIDs of this process's live (not zombie) children running the SDK v2 fixture. */
function fixtureChildren(): number[] {
  return childProcessesRunning(process.pid, V2StdioScript);
}

/** The stdio processes a replica started, from its `backend ready, pid <pid>` stderr lines. */
function announcedPids(gateway: LoggedGateway): number[] {
  return gateway
    .records()
    .filter((r) => r.msg === "backend stderr")
    .map((r) => /^backend ready, pid (\d+)$/.exec(String(r.stderr))?.[1])
    .filter((pid): pid is string => pid !== undefined)
    .map(Number);
}

/**
 * An SDK v1 client on a 2025-era session through `url` (with `token` as its bearer, when given),
 * with real handlers that record what they were asked.
 */
async function connectLegacy(url: string, token?: string) {
  const asked: string[] = [];
  const client = new Client(
    { name: "v2-stdio-e2e", version: "1.0.0" },
    { capabilities: Capabilities },
  );
  client.setRequestHandler(ElicitRequestSchema, async (request) => {
    asked.push(`elicitation:${request.params.message}`);
    return { action: "accept", content: { name: "ann" } };
  });
  client.setRequestHandler(ListRootsRequestSchema, async () => {
    asked.push("roots");
    return { roots: [{ uri: "file:///work", name: "work" }] };
  });
  client.setRequestHandler(CreateMessageRequestSchema, async () => {
    asked.push("sampling");
    return { role: "assistant", model: "e2e", content: { type: "text", text: "sampled" } };
  });
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
    requestInit: token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return {
    client,
    asked,
    close: async () => {
      await transport.terminateSession().catch(() => undefined);
      await client.close();
    },
  };
}

describe("SDK v2 stdio backends asking for input mid-call, both eras, through two replicas on Redis", () => {
  /** The two ways an SDK v2 stdio server is served: `serveStdio` (`pipe`) and `connect` (`plain`). */
  const Workloads = ["pipe", "plain"] as const;
  let redis: RedisServer;
  const replicas: LoggedGateway[] = [];
  let proxy: RoundRobinProxy;
  /** The process IDs the tool reported serving each call. */
  const served: number[] = [];
  let legacy: Awaited<ReturnType<typeof connectLegacy>> | undefined;
  let modern: ModernClient | undefined;

  beforeAll(async () => {
    redis = await startRedisServer();
    const raw = {
      store: { kind: "redis", url: redis.url },
      bindingSecret: BindingSecret,
      identity: { kind: "static", tokens: Tokens },
      idleTimeoutMs: IdleTimeoutMs,
      stdioStopGraceMs: StopGraceMs,
      backends: [
        { workloadId: "pipe", command: process.execPath, args: [V2StdioScript, "pipe"] },
        {
          workloadId: "plain",
          command: process.execPath,
          args: [V2StdioScript, "plain", "--connect"],
        },
      ],
    };
    replicas.push(...(await Promise.all([startLoggedGateway(raw), startLoggedGateway(raw)])));
    proxy = await startRoundRobinProxy(replicas.map((r) => r.url));
  });

  afterAll(async () => {
    await legacy?.close();
    await modern?.close().catch(() => undefined);
    await proxy?.close();
    await Promise.all(replicas.map((r) => r.close()));
    await redis?.close();
  });

  for (const workload of Workloads) {
    it(`${workload}: a 2025-era client gets progress, its answers land on the other replica and reach the waiting backend, the result is right`, async () => {
      legacy ??= await connectLegacy(proxy.url, "tok-alice");
      const asked = legacy.asked.length;
      const from = proxy.requests.length;
      const progress: unknown[] = [];
      const result = await legacy.client.callTool(
        { name: `${workload}__interview`, arguments: {} },
        undefined,
        { onprogress: (p) => progress.push(p) },
      );
      const answer = JSON.parse(resultText(result)) as Record<string, unknown>;
      expect(answer).toMatchObject({
        form: { name: "ann" },
        roots: ["file:///work"],
        sampled: "sampled",
      });
      served.push(Number(answer.pid));
      // The process that served it is kept for the session's next call.
      expect(fixtureChildren()).toContain(Number(answer.pid));
      // The shim's first round (a form and the roots) at once, then the second (sampling).
      const mine = legacy.asked.slice(asked);
      expect([...mine.slice(0, 2)].sort()).toEqual([
        `elicitation:${workload} wants a name`,
        "roots",
      ]);
      expect(mine.slice(2)).toEqual(["sampling"]);
      expect(progress).toEqual(
        [1, 2, 3].map((step) => ({
          progress: step,
          total: 3,
          message: `${workload} step ${step}`,
        })),
      );
      const seen = proxy.requests.slice(from);
      const call = seen.find((r) => r.rpc === "tools/call");
      const answers = seen.filter((r) => r.rpc === "response");
      expect(answers).toHaveLength(3);
      expect(answers.every((r) => r.status === 202)).toBe(true);
      expect(answers.some((r) => r.replica !== call?.replica)).toBe(true);
    });
  }

  for (const workload of Workloads) {
    it(`${workload}: a 2026-07-28 client gets input_required rounds parked on the replica holding the process, each retry on the other replica, progress on each retry's stream`, async () => {
      modern ??= await connectModernClient(proxy.url, {
        token: "tok-alice",
        capabilities: Capabilities,
      });
      const client = modern;
      const from = proxy.requests.length;
      const call = (params: Record<string, unknown>, progress: unknown[]) =>
        client.request(
          {
            method: "tools/call",
            params: { name: `${workload}__interview`, arguments: {}, ...params },
          },
          { allowInputRequired: true, onprogress: (p) => progress.push(p) },
        ) as Promise<Record<string, unknown>>;

      const progress1: unknown[] = [];
      const round1 = await call({}, progress1);
      expect(round1).toMatchObject({
        resultType: "input_required",
        inputRequests: {
          "elicitation-1": {
            method: "elicitation/create",
            params: { message: `${workload} wants a name` },
          },
          "roots-2": { method: "roots/list" },
        },
      });
      // The backend connection's progress tokens (the SDK's shim sends one with each request)
      // are not embedded.
      for (const request of Object.values(round1.inputRequests as Record<string, object>)) {
        expect(request).not.toHaveProperty("params._meta.progressToken");
      }
      const progress2: unknown[] = [];
      const round2 = await call(
        {
          inputResponses: {
            "elicitation-1": { action: "accept", content: { name: "bo" } },
            "roots-2": { roots: [{ uri: "file:///b" }] },
          },
          requestState: round1.requestState,
        },
        progress2,
      );
      expect(round2).toMatchObject({
        resultType: "input_required",
        inputRequests: { "sampling-3": { method: "sampling/createMessage" } },
      });
      const progress3: unknown[] = [];
      const done = await call(
        {
          inputResponses: {
            "sampling-3": { role: "assistant", content: { type: "text", text: "s" }, model: "m" },
          },
          requestState: round2.requestState,
        },
        progress3,
      );
      const answer = JSON.parse(resultText(done)) as Record<string, unknown>;
      expect(answer).toMatchObject({ form: { name: "bo" }, roots: ["file:///b"], sampled: "s" });
      served.push(Number(answer.pid));
      expect(fixtureChildren()).toContain(Number(answer.pid));
      const step = (n: number) => [{ progress: n, total: 3, message: `${workload} step ${n}` }];
      expect([progress1, progress2, progress3]).toEqual([step(1), step(2), step(3)]);
      const calls = proxy.requests.slice(from).filter((r) => r.rpc === "tools/call");
      expect(calls.map((r) => r.replica)).toEqual(calls[0]?.replica === 0 ? [0, 1, 0] : [1, 0, 1]);
    });
  }

  it("the stdio processes are counted while the clients live, and none is left after they end", async () => {
    const running = fixtureChildren();
    const announced = replicas.flatMap(announcedPids);
    // Every process is one a replica started: at most one per replica, backend session (the
    // 2025-era session and alice's pooled session) and backend.
    expect(running.length).toBeGreaterThan(0);
    expect(running.length).toBeLessThanOrEqual(2 * 2 * Workloads.length);
    for (const pid of running) expect(announced).toContain(pid);
    for (const pid of served) expect(announced).toContain(pid);

    await legacy?.close();
    legacy = undefined;
    await modern?.close();
    modern = undefined;
    const bound = IdleTimeoutMs * 1.5 + StopGraceMs + 3_000;
    const started = performance.now();
    await waitUntil(() => fixtureChildren().length === 0, bound, "every stdio process reaped");
    expect(performance.now() - started).toBeLessThan(bound);
  });
});

describe("an SDK v2 stdio server serving 2026-07-28 only (serveStdio with legacy: reject) is not reached", () => {
  let gateway: LoggedGateway;

  beforeAll(async () => {
    gateway = await startLoggedGateway({
      stdioStopGraceMs: StopGraceMs,
      backends: [
        {
          workloadId: "strict",
          command: process.execPath,
          args: [V2StdioScript, "strict", "--modern-only"],
        },
      ],
    });
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it("its refusal of initialize (-32022) is logged, no client of either era is offered its tools, and no process is left", async () => {
    const legacyClient = await connectLegacy(gateway.url);
    const modernClient = await connectModernClient(gateway.url, { capabilities: Capabilities });
    try {
      expect((await legacyClient.client.listTools()).tools).toEqual([]);
      const error = await legacyClient.client.callTool({ name: "interview", arguments: {} }).then(
        () => undefined,
        (e: unknown) => e as { code?: unknown; data?: unknown },
      );
      expect(error).toMatchObject({ code: -32602, data: { code: "VMCP_UNKNOWN_TOOL" } });
      // server/discover: no backend offers tools, so the gateway declares none.
      expect(modernClient.getServerCapabilities()?.tools).toBeUndefined();
      const refusals = gateway
        .records()
        .filter((r) => r.msg === "backend failed to connect" && r.workloadId === "strict");
      expect(refusals.length).toBeGreaterThan(0);
      expect(String(refusals[0]?.reason)).toContain("-32022");
      expect(String(refusals[0]?.reason)).toContain("Unsupported protocol version");
    } finally {
      await legacyClient.close();
      await modernClient.close();
    }
    await waitUntil(() => fixtureChildren().length === 0, 5_000, "the refused processes reaped");
  });
});
