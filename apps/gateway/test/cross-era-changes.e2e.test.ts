/**
 * Issue 21, change events across eras: two gateway replicas on one real Redis (store and message
 * bus), behind the round-robin proxy, in front of a 2025-era SDK v1 backend whose `<id>_grow`
 * tool adds a tool (and so sends its session `tools/list_changed`) and a modern-only SDK v2
 * backend whose `<id>_change` tool (kind `tool`) does the same for its listen streams.
 * - (A) a 2026-07-28 client's `subscriptions/listen` on one replica hears the 2025-era backend's
 *   change made through a pooled backend session on the OTHER replica, folded per window;
 * - (B) a 2025-era client (SDK v1) whose GET stream sits on replica 1 hears the modern
 *   backend's change, which only replica 0 sees (replica 1 reaches the modern backend through a
 *   proxy that refuses its `subscriptions/listen`), and its next `tools/list` (on either) shows it.
 */
import type { Client as ModernClient } from "@modelcontextprotocol/client";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { type RedisServer, startRedisServer } from "@vmcp/redis-harness";
import { startMcpBackend, type TestBackend, waitUntil } from "@vmcp/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeGrowingServer } from "./helpers/growing-backends.js";
import { type LoggedGateway, startLoggedGateway } from "./helpers/in-process.js";
import { type ListenStream, openListenStream } from "./helpers/listen-streams.js";
import { resultText } from "./helpers/mcp-client.js";
import { type ModernBackendFixture, startModernBackend } from "./helpers/modern-backends.js";
import { connectModernClient } from "./helpers/modern-client.js";
import { type RoundRobinProxy, startRoundRobinProxy } from "./helpers/round-robin-proxy.js";

const BindingSecret = "cross-era-changes-binding-secret";
const Tools = "notifications/tools/list_changed";
const CoalesceMs = 300;
const Tokens = Object.fromEntries(
  ["alice", "bob", "carol", "dave", "erin"].map((s) => [
    `tok-${s}`,
    { issuer: "static", subject: s },
  ]),
);

/** Every tool name of a client's `tools/list`, all pages (either SDK's client). */
async function toolNames(
  list: (params: {
    cursor?: string;
  }) => Promise<{ tools: { name: string }[]; nextCursor?: string | undefined }>,
): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await list(cursor === undefined ? {} : { cursor });
    names.push(...page.tools.map((t) => t.name));
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return names;
}

describe("change events across eras, two replicas on Redis behind a round-robin proxy", () => {
  let redis: RedisServer;
  let legacy: TestBackend;
  let modern: ModernBackendFixture;
  const gateways: LoggedGateway[] = [];
  let proxy: RoundRobinProxy;
  /** Replica 1's way to the modern backend: everything passes but `subscriptions/listen` (502). */
  let blind: RoundRobinProxy;
  const closing: { close(): Promise<void> }[] = [];

  const url = (replica: number) => (gateways[replica] as LoggedGateway).url;
  const modernClient = async (replica: number, token: string): Promise<ModernClient> => {
    const client = await connectModernClient(url(replica), { token });
    closing.push(client);
    return client;
  };
  const listen = async (replica: number, token: string): Promise<ListenStream> => {
    const stream = await openListenStream(url(replica), { toolsListChanged: true }, token);
    closing.push(stream);
    return stream;
  };

  beforeAll(async () => {
    [redis, legacy, modern] = await Promise.all([
      startRedisServer(),
      startMcpBackend("legacy-g", { makeServer: makeGrowingServer }),
      startModernBackend("modern-m", { legacy: "reject", changes: true }),
    ]);
    // Port 9 (discard) on loopback: nothing listens, so a listen routed there fails at once.
    blind = await startRoundRobinProxy([modern.url.replace(/\/mcp$/, ""), "http://127.0.0.1:9"]);
    blind.setRouter(({ rpc }) => (rpc === "subscriptions/listen" ? 1 : 0));
    for (let i = 0; i < 2; i++) {
      gateways.push(
        await startLoggedGateway({
          store: { kind: "redis", url: redis.url },
          bindingSecret: BindingSecret,
          identity: { kind: "static", tokens: Tokens },
          backendRetryInitialDelayMs: 50,
          backendRetryMaxDelayMs: 200,
          modern: { changeCoalesceMs: CoalesceMs },
          backends: [
            { workloadId: "legacy-g", url: legacy.url },
            { workloadId: "modern-m", url: i === 0 ? modern.url : `${blind.url}/mcp` },
          ],
        }),
      );
    }
    proxy = await startRoundRobinProxy(gateways.map((g) => g.url));
  });

  afterAll(async () => {
    await Promise.all(closing.map((c) => c.close().catch(() => undefined)));
    await proxy?.close();
    await blind?.close();
    for (const gateway of gateways) await gateway.close();
    await Promise.all([legacy?.close(), modern?.close()]);
    await redis?.close();
  });

  it("(A) a listen stream hears a 2025-era backend's list change made through a pooled session on the other replica, and the re-listed tools show it", async () => {
    // discover declares the pooled backend's listChanged, and the listen honours it.
    const stream = await listen(0, "tok-alice");
    expect(stream.client.getDiscoverResult()?.capabilities.tools?.listChanged).toBe(true);
    expect(stream.subscription.honoredFilter).toEqual({ toolsListChanged: true });

    const alice = await modernClient(1, "tok-alice");
    const before = await toolNames((p) => alice.listTools(p) as never);
    const grown = await alice.callTool({ name: "legacy-g_grow", arguments: {} });
    const name = resultText(grown).replace("grown ", "");
    expect(name).toMatch(/^legacy-g_grown_\d+$/);
    await stream.waitFor(Tools, 1);
    const after = await toolNames((p) => alice.listTools(p) as never);
    expect(after).toEqual(expect.arrayContaining([...before, name]));
    expect(before).not.toContain(name);
  });

  it("(A) a listen stream also hears a 2025-era backend's change made through a 2025-era client session on the other replica", async () => {
    const stream = await listen(0, "tok-alice");
    const transport = new StreamableHTTPClientTransport(new URL(`${url(1)}/mcp`), {
      requestInit: { headers: { authorization: "Bearer tok-bob" } },
    });
    const client = new Client({ name: "cross-era-2025-a", version: "1.0.0" });
    closing.push(client);
    await client.connect(transport);
    const grown = await client.callTool({ name: "legacy-g_grow", arguments: {} });
    expect(resultText(grown)).toMatch(/^grown legacy-g_grown_\d+$/);
    await stream.waitFor(Tools, 1);
  });

  it("(A) folds the same change on the pooled sessions of several callers into one event per window per replica", async () => {
    const stream = await listen(0, "tok-alice");
    const callers = await Promise.all(
      ["tok-bob", "tok-carol", "tok-dave"].map((t) => modernClient(1, t)),
    );
    // Each caller's pooled session exists before the changes (discover made it).
    await Promise.all(callers.map((c) => c.callTool({ name: "legacy-g_grow", arguments: {} })));
    await stream.waitFor(Tools, 1);
    // The window closes and nothing more arrives: three changes, at most one event per window
    // (one per replica that saw them: here replica 1 only).
    await new Promise((r) => setTimeout(r, CoalesceMs * 2));
    expect(stream.of(Tools)).toHaveLength(1);
    const folded = (gateways[1] as LoggedGateway)
      .records()
      .filter((r) => r.msg === "2025-era backend changes folded into one");
    expect(folded.length).toBeGreaterThan(0);
  });

  it("(B) a 2025-era client hears a modern backend's list change on its GET stream on the other replica, and its next tools/list shows the new tool", async () => {
    // Every POST to replica 0, the GET stream to replica 1.
    proxy.setRouter(({ httpMethod }) => (httpMethod === "GET" ? 1 : 0));
    const transport = new StreamableHTTPClientTransport(new URL(`${proxy.url}/mcp`), {
      requestInit: { headers: { authorization: "Bearer tok-erin" } },
    });
    const client = new Client({ name: "cross-era-2025", version: "1.0.0" });
    closing.push(client);
    const heard: number[] = [];
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      heard.push(performance.now());
    });
    await client.connect(transport);
    expect(client.getServerCapabilities()?.tools?.listChanged).toBe(true);
    const before = await toolNames((p) => client.listTools(p));
    expect(before).toContain("modern-m_change");
    await waitUntil(
      () => proxy.requests.some((r) => r.httpMethod === "GET"),
      5_000,
      "the GET stream opened on replica 1",
    );
    // Replica 0 listens to the modern backend for the session's stateless connection; replica
    // 1 tries, and is refused: it does not see the backend's changes.
    await waitUntil(() => modern.openListens() >= 1, 5_000, "a backend listen");
    await waitUntil(
      () => blind.requests.some((r) => r.rpc === "subscriptions/listen" && r.status === 502),
      5_000,
      "replica 1's backend listen refused",
    );

    const result = await client.callTool({ name: "modern-m_change", arguments: { kind: "tool" } });
    const name = resultText(result).replace("grown ", "");
    expect(name).toMatch(/^modern-m_grown_\d+$/);
    await waitUntil(() => heard.length >= 1, 5_000, "tools/list_changed on the GET stream");
    // Next tools/list on replica 0, then on replica 1: both show the new tool.
    expect(await toolNames((p) => client.listTools(p))).toContain(name);
    proxy.setRouter(() => 1);
    expect(await toolNames((p) => client.listTools(p))).toContain(name);
    proxy.setRouter(undefined);
    // One change, seen by one replica: heard once.
    await new Promise((r) => setTimeout(r, 200));
    expect(heard).toHaveLength(1);
  });
});
