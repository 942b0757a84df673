/**
 * Issue 21, part 2, reliability: the replica holding a parked call is killed mid-round (SIGKILL
 * of a `vmcp-gateway serve` process; two of them on one real Redis behind a round-robin proxy).
 * The client's retry, landing on the survivor, gets a typed error (-32004
 * `VMCP_PARKED_CALL_GONE`) within the acknowledgement bound, never a hang; and the backend
 * request is cancelled: an HTTP backend's by the survivor (from the call's record in the store,
 * `notifications/cancelled` on the restored pooled session: the backend's handler sees its
 * signal fire), a stdio backend's with its process, which exits when its input closes with its
 * replica (the MCP stdio shutdown; nothing is left to cancel it from elsewhere).
 */
import type { Client } from "@modelcontextprotocol/client";
import { type RedisServer, startRedisServer } from "@vmcp/redis-harness";
import { waitUntil } from "@vmcp/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectModernClient } from "./helpers/modern-client.js";
import { type ParkBackend, parkStdioScript, startParkBackend } from "./helpers/park-backends.js";
import { type GatewayProcess, processGone, startGatewayProcess } from "./helpers/processes.js";
import { type RoundRobinProxy, startRoundRobinProxy } from "./helpers/round-robin-proxy.js";

const AckTimeoutMs = 500;
/**
 * How long a parked call waits for its retry here, ms: a survivor that missed the holder's loss
 * would leave the retry hanging this long (or the client's timeout), so a gone-detection bound
 * far below it tells the two apart.
 */
const ParkTimeoutMs = 60_000;
/**
 * What the retry may take beyond the acknowledgement bound, ms: the proxy, the token, opening
 * the state in Redis, publishing on the bus. CI runs two suites of this kind per Node.js side by
 * side on 2 cores, where that took up to 2.1 s; still an order of magnitude below a hang.
 */
const RetryOverheadMs = 5_000;

describe.each(["HTTP", "stdio"] as const)(
  "the replica holding a parked call is killed mid-round (%s backend)",
  (kind) => {
    let redis: RedisServer;
    let web: ParkBackend;
    const replicas: GatewayProcess[] = [];
    let proxy: RoundRobinProxy;
    let client: Client | undefined;
    let toolCallsTo = 0;

    beforeAll(async () => {
      [redis, web] = await Promise.all([startRedisServer(), startParkBackend("web")]);
      const backend =
        kind === "HTTP"
          ? `web=${web.url}`
          : `pipe=stdio:${process.execPath} ${parkStdioScript} pipe`;
      const args = [
        "--store",
        "redis",
        "--redis-url",
        redis.url,
        "--binding-secret",
        "modern-parked-holder-loss-secret",
        "--static-token",
        "tok-alice=alice",
        "--modern-park-ack-timeout-ms",
        String(AckTimeoutMs),
        "--modern-park-timeout-ms",
        String(ParkTimeoutMs),
        "--backend",
        backend,
      ];
      replicas.push(...(await Promise.all([startGatewayProcess(args), startGatewayProcess(args)])));
      proxy = await startRoundRobinProxy(replicas.map((r) => r.url));
      proxy.setRouter(({ rpc }) => (rpc === "tools/call" ? toolCallsTo : undefined));
    });

    afterAll(async () => {
      await client?.close().catch(() => undefined);
      await proxy?.close();
      await Promise.all(replicas.map((r) => r.stop()));
      await web?.close();
      await redis?.close();
    });

    it("the retry on the survivor is -32004 VMCP_PARKED_CALL_GONE within the bound, and the backend request is cancelled", async () => {
      client = await connectModernClient(proxy.url, { token: "tok-alice" });
      const id = kind === "HTTP" ? "web" : "pipe";
      const call = (extra: Record<string, unknown>) =>
        (client as Client).request(
          {
            method: "tools/call",
            params: { name: "hold", arguments: { tag: "k" }, ...extra },
          },
          { allowInputRequired: true },
        ) as Promise<Record<string, unknown>>;
      toolCallsTo = 0;
      const round = await call({});
      expect(round).toMatchObject({
        resultType: "input_required",
        inputRequests: { "elicitation-1": { method: "elicitation/create" } },
      });
      const asked = JSON.stringify(round.inputRequests);
      const pid = Number(/\(pid (\d+)\)/.exec(asked)?.[1]);
      expect(pid).toBeGreaterThan(0);

      await replicas[0]?.kill();
      proxy.setDown(0, true);
      toolCallsTo = 1;
      const started = performance.now();
      const error = await call({
        inputResponses: { "elicitation-1": { action: "accept", content: { ok: true } } },
        requestState: round.requestState,
      }).then(
        () => undefined,
        (e: unknown) => e as { code?: unknown; data?: Record<string, unknown> },
      );
      const elapsed = performance.now() - started;
      expect(error).toMatchObject({
        code: -32004,
        data: { code: "VMCP_PARKED_CALL_GONE", workloadId: id },
      });
      expect(elapsed).toBeLessThan(AckTimeoutMs + RetryOverheadMs);

      if (kind === "HTTP") {
        // The survivor restored alice's pooled session and cancelled the backend request.
        await waitUntil(
          () => web.events.includes("hold:aborted:k"),
          5_000,
          "the HTTP backend's handler aborted",
        );
      } else {
        await waitUntil(
          () => processGone(pid),
          5_000,
          "the stdio backend process gone with its replica",
        );
      }
    });
  },
);
