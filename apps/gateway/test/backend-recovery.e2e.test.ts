import { waitUntil } from "@vmcp/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendFlags, type DemoBackends } from "./helpers/demo-backends.js";
import { attachClient, connectClient, resultText } from "./helpers/mcp-client.js";
import { type GatewayProcess, runCli, startGatewayProcess } from "./helpers/processes.js";
import { type RedisWithBackends, startRedisWithBackends } from "./helpers/redis-backends.js";

describe("a backend paused while another replica restores the session (Redis, two gateways)", () => {
  let stack: RedisWithBackends;
  let backends: DemoBackends;
  const gateways: GatewayProcess[] = [];

  beforeAll(async () => {
    stack = await startRedisWithBackends();
    backends = stack.backends;
  });
  afterAll(async () => {
    backends?.alpha.child.kill("SIGCONT");
    await Promise.all(gateways.map((g) => g.stop()));
    await stack?.stop();
  });

  it("comes back on that replica within seconds of resuming; both replicas list the same tools and the store never dropped it", async () => {
    const { storeFlags } = stack;
    const replica = async () => {
      const gateway = await startGatewayProcess([
        ...storeFlags,
        ...backendFlags(backends.alpha, backends.beta),
        // Long enough for a cold process's first connects (SDK loading), short for a paused backend.
        "--connect-timeout-ms",
        "3000",
        "--backend-retry-initial-delay-ms",
        "300",
        "--backend-retry-max-delay-ms",
        "1000",
      ]);
      gateways.push(gateway);
      return gateway;
    };
    const [a, b] = await Promise.all([replica(), replica()]);
    const onA = await connectClient(a.url);
    const names = async (client: typeof onA.client) =>
      (await client.listTools()).tools.map((t) => t.name).sort();
    const toolsOnA = await names(onA.client);
    expect(toolsOnA).toContain("add");

    backends.alpha.child.kill("SIGSTOP"); // alpha accepts connections but answers nothing
    const onB = await attachClient(b.url, onA.sessionId);
    expect(await names(onB.client)).toEqual(["echo", "reverse", "word_count"]);
    await expect(onB.client.callTool({ name: "add", arguments: { a: 1, b: 2 } })).rejects.toThrow(
      /add/,
    );
    const stored = await runCli(["sessions", "show", "--json", ...storeFlags, "--", onA.sessionId]);
    expect(JSON.parse(stored.stdout).metadata["vmcp.backend.ids"]).toBe("alpha,beta");

    backends.alpha.child.kill("SIGCONT");
    // Within seconds: a retry's backoff is at most 1 s here, a connect bounded by 3 s. The bound
    // leaves a loaded machine room; before the retries, the backend stayed hidden for good.
    const took = await waitUntil(
      async () => JSON.stringify(await names(onB.client)) === JSON.stringify(toolsOnA),
      10_000,
      "tools of the resumed backend",
      100,
    );
    expect(took).toBeLessThan(10_000);
    expect(resultText(await onB.client.callTool({ name: "add", arguments: { a: 1, b: 2 } }))).toBe(
      "3",
    );
    expect(await names(onA.client)).toEqual(await names(onB.client));
    const after = await runCli(["sessions", "show", "--json", ...storeFlags, "--", onA.sessionId]);
    expect(JSON.parse(after.stdout).metadata["vmcp.backend.ids"]).toBe("alpha,beta");
    await onA.client.close();
    await onB.client.close();
  });
});
