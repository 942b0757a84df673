import { freePort, type RedisServer, releasePort, startRedisServer } from "@vmcp/redis-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoBackends, startDemoBackends } from "./helpers/demo-backends.js";
import { type LoggedGateway, startLoggedGateway } from "./helpers/in-process.js";
import { attachClient, type ConnectedClient, connectClient } from "./helpers/mcp-client.js";

const MissingCommand = "/nonexistent/vmcp-missing-backend";

/** The "backend failed to connect" lines of a gateway's log. */
function failureLines(gateway: LoggedGateway): Record<string, unknown>[] {
  return gateway.records().filter((r) => r.msg === "backend failed to connect");
}

describe("a backend that cannot connect is logged (real gateways, SDK clients, Redis)", () => {
  let redis: RedisServer;
  let backends: DemoBackends;
  let deadPort: number;
  const gateways: LoggedGateway[] = [];
  const clients: ConnectedClient[] = [];

  beforeAll(async () => {
    [redis, backends, deadPort] = await Promise.all([
      startRedisServer(),
      startDemoBackends(),
      freePort(), // reserved, and nothing listens on it
    ]);
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.client.close().catch(() => undefined)));
    await Promise.all(gateways.map((g) => g.close()));
    await backends?.stop();
    await redis?.close();
    if (deadPort !== undefined) releasePort(deadPort);
  });

  const start = async (alphaUrl: string, extra: Record<string, unknown> = {}) => {
    const gateway = await startLoggedGateway({
      logLevel: "info",
      store: { kind: "redis", url: redis.url },
      backends: [
        { workloadId: "alpha", url: alphaUrl },
        { workloadId: "gone", url: `http://127.0.0.1:${deadPort}/mcp?token=do-not-log` },
        { workloadId: "missing", command: MissingCommand, args: ["--secret", "do-not-log"] },
      ],
      ...extra,
    });
    gateways.push(gateway);
    return gateway;
  };
  const connect = async (url: string) => {
    const client = await connectClient(url);
    clients.push(client);
    return client;
  };

  it("initialize: one warn line per failed backend with its URL or command and the cause; a flood of clients adds none within the interval", async () => {
    const gateway = await start(backends.alpha.url, { backendFailureLogIntervalMs: 600_000 });
    const first = await connect(gateway.url);
    expect((await first.client.listTools()).tools.map((t) => t.name)).toContain("add");

    const lines = failureLines(gateway);
    expect(lines).toHaveLength(2);
    const byId = Object.fromEntries(lines.map((line) => [line.workloadId, line]));
    expect(byId.gone).toMatchObject({
      level: 40,
      url: `http://127.0.0.1:${deadPort}/mcp`,
      phase: "initialize",
      sessionId: first.sessionId,
      reason: expect.stringContaining(`ECONNREFUSED 127.0.0.1:${deadPort}`),
    });
    expect(byId.missing).toMatchObject({
      level: 40,
      command: MissingCommand,
      phase: "initialize",
      sessionId: first.sessionId,
      reason: expect.stringContaining("ENOENT"),
    });

    // Ten more clients, each losing the same two backends: the interval holds the log to the
    // two lines above.
    for (let i = 0; i < 10; i++) await connect(gateway.url);
    expect(failureLines(gateway)).toHaveLength(2);
    expect(gateway.lines().join("\n")).not.toContain("do-not-log");
  });

  it("restore: a replica whose backend cannot connect logs it with phase restore and serves the rest", async () => {
    const a = await start(backends.alpha.url, { backendFailureLogIntervalMs: 0 });
    // The same workload ID at an address where nothing listens, as a misconfigured replica has it.
    const b = await start(`http://127.0.0.1:${deadPort}/alpha`, { backendFailureLogIntervalMs: 0 });
    const onA = await connect(a.url);
    const onB = await attachClient(b.url, onA.sessionId);
    clients.push(onB);
    const tools = (await onB.client.listTools()).tools.map((t) => t.name);
    expect(tools).not.toContain("add");

    const restored = failureLines(b).filter((line) => line.phase === "restore");
    expect(restored).toHaveLength(1);
    expect(restored[0]).toMatchObject({
      workloadId: "alpha",
      url: `http://127.0.0.1:${deadPort}/alpha`,
      sessionId: onA.sessionId,
      reason: expect.stringContaining("ECONNREFUSED"),
    });
  });
});
