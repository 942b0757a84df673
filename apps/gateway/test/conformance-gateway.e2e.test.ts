/**
 * The official MCP conformance tool (`--requirements 2026-07-28`, every required server scenario)
 * through the gateway, in front of the repository's reference backend (`startConformanceBackend`,
 * which passes them all directly: tests/integration/test/conformance.test.ts): one replica, and
 * two replicas on one Redis behind a round-robin proxy, so consecutive requests of a scenario
 * (an `input_required` round and its retry, a listen stream and the call that triggers the
 * change) land on different replicas. With one backend, the default naming
 * (`prefix-on-conflict`) leaves every tool and prompt name as the referee expects it.
 */
import { type RedisServer, startRedisServer } from "@vmcp/redis-harness";
import {
  type ConformanceBackend,
  type ConformanceRun,
  formatConformanceFailures,
  RequiredServerScenarios20260728,
  runConformance,
  startConformanceBackend,
} from "@vmcp/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LoggedGateway, startLoggedGateway } from "./helpers/in-process.js";
import { type RoundRobinProxy, startRoundRobinProxy } from "./helpers/round-robin-proxy.js";

/** Bound on each set-up script (fetching Node.js 22, installing the tool), ms. */
const SetupTimeoutMs = 120_000;

/** Bound on the tool's run, ms (about 6 s here through the gateway). */
const RunTimeoutMs = 120_000;

const TestTimeoutMs = 2 * SetupTimeoutMs + RunTimeoutMs + 60_000;

const BindingSecret = "conformance-gateway-binding-secret";

async function conform(url: string): Promise<ConformanceRun> {
  const run = await runConformance(url, {
    requirements: "2026-07-28",
    timeoutMs: RunTimeoutMs,
    setup: { timeoutMs: SetupTimeoutMs },
  });
  expect(formatConformanceFailures(run.requiredScenarios), "failing required checks").toBe("");
  expect(run.requiredScenarios.size).toBe(RequiredServerScenarios20260728);
  expect(run.exitCode, "the tool's exit code").toBe(0);
  return run;
}

describe("the official MCP conformance tool through the gateway, 2026-07-28 requirements", () => {
  let backend: ConformanceBackend;
  let redis: RedisServer;
  let proxy: RoundRobinProxy | undefined;
  const gateways: LoggedGateway[] = [];

  beforeAll(async () => {
    [backend, redis] = await Promise.all([startConformanceBackend(), startRedisServer()]);
  });

  afterAll(async () => {
    await proxy?.close();
    for (const gateway of gateways) await gateway.close();
    await backend?.close();
    await redis?.close();
  });

  const gateway = async (raw: Record<string, unknown>) => {
    const started = await startLoggedGateway({
      logLevel: "warn",
      bindingSecret: BindingSecret,
      backends: [{ workloadId: "reference", url: backend.url }],
      ...raw,
    });
    gateways.push(started);
    return started;
  };

  it(
    "passes every required server scenario through one gateway",
    async () => {
      const one = await gateway({});
      const run = await conform(`${one.url}/mcp`);
      console.info(`conformance through one gateway: ${Math.round(run.durationMs)} ms`);
    },
    TestTimeoutMs,
  );

  it(
    "passes every required server scenario through two replicas on Redis behind a round-robin proxy",
    async () => {
      const store = { kind: "redis", url: redis.url };
      const replicas = [await gateway({ store }), await gateway({ store })];
      proxy = await startRoundRobinProxy(replicas.map((r) => r.url));
      const run = await conform(`${proxy.url}/mcp`);
      // Both replicas served the run; a listen stream's changes were triggered on the other one.
      const { requests } = proxy;
      for (const replica of [0, 1]) {
        expect(requests.filter((r) => r.replica === replica).length).toBeGreaterThan(50);
      }
      const listens = requests.filter((r) => r.rpc === "subscriptions/listen");
      expect(listens.length).toBeGreaterThan(0);
      for (const listen of listens) {
        expect(requests[listen.seq]?.replica).not.toBe(listen.replica);
      }
      console.info(
        `conformance through two replicas: ${Math.round(run.durationMs)} ms, ${proxy.requests.length} requests`,
      );
    },
    TestTimeoutMs,
  );
});
