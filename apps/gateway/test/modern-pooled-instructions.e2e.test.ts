/**
 * A 2025-era backend's `initialize` instructions stand in the gateway's `server/discover` answer
 * on every replica: an SDK v2 client pinned to 2026-07-28, behind a round-robin proxy in front of
 * two gateways on one real Redis, asks `server/discover` on the replica that made its pooled
 * backend session and then on the one that restored it (reattached, no new `initialize`), and
 * gets the same instructions from both.
 */
import type { Client } from "@modelcontextprotocol/client";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { type RedisServer, startRedisServer } from "@vmcp/redis-harness";
import { startMcpBackend, type TestBackend } from "@vmcp/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LoggedGateway, startLoggedGateway } from "./helpers/in-process.js";
import { connectModernClient } from "./helpers/modern-client.js";
import { type RoundRobinProxy, startRoundRobinProxy } from "./helpers/round-robin-proxy.js";

/** Several lines, a heading-like line and non-ASCII text: to be answered exactly as sent. */
const GuideInstructions = "Search tickets before you open one.\n## Not ours\nÜnïcode — kept.";

/** A 2025-era SDK v1 server that sends `instructions` at `initialize` and has one tool. */
function guideServer(workloadId: string): McpServer {
  const server = new McpServer(
    { name: workloadId, version: "1.0.0" },
    { capabilities: { tools: {} }, instructions: GuideInstructions },
  );
  server.registerTool("ping", { description: "Answers pong" }, async () => ({
    content: [{ type: "text", text: "pong" }],
  }));
  return server;
}

describe("a 2025-era backend's instructions in server/discover, on two replicas sharing Redis", () => {
  let redis: RedisServer;
  let guide: TestBackend;
  const gateways: LoggedGateway[] = [];
  let proxy: RoundRobinProxy;
  let client: Client | undefined;

  beforeAll(async () => {
    [redis, guide] = await Promise.all([
      startRedisServer(),
      startMcpBackend("guide-a", { makeServer: guideServer }),
    ]);
    for (let i = 0; i < 2; i++) {
      gateways.push(
        await startLoggedGateway({
          store: { kind: "redis", url: redis.url },
          bindingSecret: "modern-pooled-instructions-secret",
          identity: { kind: "static", tokens: { "tok-alice": { issuer: "s", subject: "alice" } } },
          backends: [{ workloadId: "guide-a", url: guide.url }],
        }),
      );
    }
    proxy = await startRoundRobinProxy(gateways.map((g) => g.url));
  });

  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await proxy?.close();
    for (const gateway of gateways) await gateway.close();
    await guide?.close();
    await redis?.close();
  });

  it("answers the instructions on the replica that restored the pooled session exactly as on the one that made it", async () => {
    // connect is a server/discover: the era probe, then the pooled session's own initialize.
    client = await connectModernClient(proxy.url, { token: "tok-alice" });
    const made = client.getDiscoverResult()?.instructions;
    expect(made).toContain(`## guide-a\n${GuideInstructions}`);
    const [first] = proxy.requests.filter((r) => r.rpc === "server/discover");
    expect(first).toBeDefined();
    const initialized = guide.initializeCount;

    const again = (await client.request({ method: "server/discover", params: {} })) as {
      instructions?: string;
    };
    const second = proxy.requests.filter((r) => r.rpc === "server/discover").at(-1);
    // The other replica answered, from the pooled session it restored: no new initialize.
    expect(second?.replica).not.toBe(first?.replica);
    expect(guide.initializeCount).toBe(initialized);
    expect(again.instructions).toBe(made);
  });
});
