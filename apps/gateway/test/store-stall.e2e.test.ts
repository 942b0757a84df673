import type { RedisServer } from "@vmcp/redis-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisStoreTimeoutMs } from "../dist/config/gateway-config.js";
import { backendFlags, type DemoBackends } from "./helpers/demo-backends.js";
import { initializeBody, rawPost } from "./helpers/mcp-client.js";
import { type GatewayProcess, startGatewayProcess } from "./helpers/processes.js";
import { type RedisWithBackends, startRedisWithBackends } from "./helpers/redis-backends.js";

const listBody = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });

/**
 * Event-loop and process slack on a busy 2-core machine (other end-to-end suites run beside this
 * one), ms. Auto-pipelining used to double the bound: the second wave then took about 2.9 s.
 */
const SlackMs = 900;

describe("a gateway whose Redis stalls (SIGSTOP)", () => {
  let stack: RedisWithBackends;
  let redis: RedisServer;
  let backends: DemoBackends;
  let gateway: GatewayProcess;

  beforeAll(async () => {
    stack = await startRedisWithBackends();
    ({ redis, backends } = stack);
    gateway = await startGatewayProcess([
      ...stack.storeFlags,
      ...backendFlags(backends.alpha, backends.beta),
    ]);
  });

  afterAll(async () => {
    redis?.resume();
    await gateway?.stop();
    await stack?.stop();
  });

  it("answers every request 503 within the store's bound, auto-pipelining included", async () => {
    // Warm up: a session is created while Redis answers.
    expect((await rawPost(gateway.url, initializeBody())).status).toBe(200);
    redis.pause();
    try {
      // Requests for sessions this gateway does not hold live: each is one store load.
      let sequence = 0;
      const request = async () => {
        const start = performance.now();
        const response = await rawPost(gateway.url, listBody, {
          "mcp-session-id": `stalled-session-${sequence++}`,
        });
        return { ...response, ms: performance.now() - start };
      };
      // Two waves: the second arrives while the first one's store calls are in flight, which is
      // where the gateway's auto-pipelining used to queue them for a second full bound.
      const first = Array.from({ length: 10 }, request);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const second = Array.from({ length: 10 }, request);
      const answers = await Promise.all([...first, ...second]);
      for (const answer of answers) {
        expect(answer.status).toBe(503);
        expect(answer.headers.get("retry-after")).toBe("1");
        expect(answer.body).toMatchObject({ error: { message: /session store unavailable/ } });
      }
      const slowest = Math.max(...answers.map((answer) => answer.ms));
      expect(slowest, `slowest answer ${Math.round(slowest)} ms`).toBeLessThan(
        RedisStoreTimeoutMs + SlackMs,
      );
    } finally {
      redis.resume();
    }
    // And it serves again once Redis answers.
    expect((await rawPost(gateway.url, initializeBody())).status).toBe(200);
  });

  it("with --redis-durability, refuses to acknowledge a session no replica confirmed", async () => {
    // This Redis has no replica: WAIT 1 confirms nothing within 200 ms.
    const durable = await startGatewayProcess([
      "--redis-url",
      redis.url,
      "--redis-durability",
      "1:200",
      ...backendFlags(backends.alpha),
    ]);
    try {
      const answer = await rawPost(durable.url, initializeBody());
      expect(answer.status).toBe(503);
      expect(answer.headers.get("mcp-session-id")).toBeNull();
      expect(answer.body).toMatchObject({
        error: { message: /not acknowledged: 0 of 1 required replicas/ },
      });
    } finally {
      await durable.stop();
    }
  });
});
