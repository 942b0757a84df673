/**
 * Issue #10 across replicas: two `vmcp-gateway serve` processes on one Redis (store and message
 * bus), behind a round-robin HTTP proxy written for the test. An SDK client receives every
 * server-to-client message it receives directly, with its requests alternating between the
 * replicas; its sampling answer and its cancellation land on the other replica than the one
 * holding the backend request (HTTP and stdio backends); a replica killed while a sampling
 * request is outstanding gives the client's answer a JSON-RPC error, not a hang, and the session
 * keeps working on the survivor. The "direct" rows put the same proxy in front of the backend
 * itself (both "replicas" are the backend): they prove the proxy, the client and the checks.
 */
import { readFileSync } from "node:fs";
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { type RedisServer, startRedisServer } from "@vmcp/redis-harness";
import { waitUntil } from "@vmcp/test-support";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { resultText } from "./helpers/mcp-client.js";
import { type GatewayProcess, startGatewayProcess } from "./helpers/processes.js";
import {
  type ProxiedRequest,
  type RoundRobinProxy,
  startRoundRobinProxy,
} from "./helpers/round-robin-proxy.js";
import {
  CallTimeoutMs,
  checkCancellation,
  checkEverything,
  checkListChanged,
  checkResourceUpdated,
  newBackendSessionStreaming,
  newKey,
  type Target,
  waitForGetStream,
  waitForReceived,
} from "./helpers/server-to-client-checks.js";
import {
  connectRecordingClient,
  type RecordingClient,
  type StreamingBackend,
  type StreamingHttpBackend,
  type StreamingStdioBackend,
  startStreamingHttpBackend,
  streamingStdioBackend,
  waitForEvent,
} from "./helpers/streaming-backends.js";

const secret = "server-to-client-replicas-binding-secret";

/** The base URL of an HTTP backend (its MCP endpoint without `/mcp`). */
function baseOf(mcpUrl: string): string {
  return mcpUrl.replace(/\/mcp$/, "");
}

function startReplica(
  redis: RedisServer,
  prefix: string,
  backends: readonly string[],
): Promise<GatewayProcess> {
  return startGatewayProcess([
    "--store",
    "redis",
    "--redis-url",
    redis.url,
    "--redis-key-prefix",
    prefix,
    "--binding-secret",
    secret,
    ...backends.flatMap((b) => ["--backend", b]),
  ]);
}

/** Requests of the proxy from `from` on (an index into `requests`). */
function since(proxy: RoundRobinProxy, from: number): ProxiedRequest[] {
  return proxy.requests.slice(from);
}

/** The latest GET stream the proxy holds open (a 200 event stream not closed). */
function openGetStream(proxy: RoundRobinProxy): ProxiedRequest | undefined {
  return proxy.requests
    .filter((r) => r.httpMethod === "GET" && r.status === 200 && !r.closed)
    .at(-1);
}

/** A router: `tools/call` to `callOn`, answers and cancellations to the other replica. */
function answersElsewhere(callOn: number) {
  const other = 1 - callOn;
  return ({ rpc }: { rpc: string }) => {
    if (rpc === "tools/call") return callOn;
    if (rpc === "response" || rpc === "notifications/cancelled") return other;
    return undefined;
  };
}

/** Expects every answer and cancellation since `from` to have been accepted by `replica`. */
async function expectLandedOn(
  proxy: RoundRobinProxy,
  from: number,
  rpc: string,
  replica: number,
  atLeast: number,
): Promise<void> {
  const landed = since(proxy, from).filter((r) => r.rpc === rpc);
  expect(
    landed.length,
    `${rpc} POSTs through the proxy: ${JSON.stringify(landed)}`,
  ).toBeGreaterThanOrEqual(atLeast);
  // An answer's 202 comes once the holding replica has acknowledged it over the bus, and the
  // call it answered may finish on the other replica first: wait for every status to be in.
  await waitUntil(
    () => landed.every((request) => request.status !== 0),
    10_000,
    `the replies to ${rpc} POSTs ${JSON.stringify(landed)}`,
  );
  for (const request of landed) {
    expect(request.replica, `${rpc} #${request.seq} went to replica ${replica}`).toBe(replica);
    expect(request.status, `${rpc} #${request.seq} accepted (202) by replica ${replica}`).toBe(202);
  }
}

describe("server-to-client messages across two replicas on Redis, behind a round-robin proxy", () => {
  let redis: RedisServer;
  let web: StreamingHttpBackend;
  let pipe: StreamingStdioBackend;
  let replicas: GatewayProcess[] = [];
  let proxy: RoundRobinProxy;
  let directWeb: StreamingHttpBackend;
  let directProxy: RoundRobinProxy;
  let sessionsBefore = new Set<string>();
  const targets: Record<string, Target & { proxy?: RoundRobinProxy }> = {};

  beforeAll(async () => {
    [redis, web, directWeb] = await Promise.all([
      startRedisServer(),
      startStreamingHttpBackend("web"),
      startStreamingHttpBackend("web"),
    ]);
    pipe = streamingStdioBackend("pipe");
    const prefix = `vmcp:s2c:${process.pid}:`;
    replicas = await Promise.all([
      startReplica(redis, prefix, [`web=${web.url}`, pipe.backendFlag]),
      startReplica(redis, prefix, [`web=${web.url}`, pipe.backendFlag]),
    ]);
    proxy = await startRoundRobinProxy(replicas.map((r) => r.url));
    directProxy = await startRoundRobinProxy([baseOf(directWeb.url), baseOf(directWeb.url)]);
    targets["direct HTTP through the proxy"] = {
      backend: directWeb,
      proxy: directProxy,
      tool: (name) => name,
      open: () => connectRecordingClient({ url: directProxy.url }),
      ready: (rc) => waitForGetStream(rc),
    };
    const viaReplicas = (backend: StreamingBackend): Target & { proxy: RoundRobinProxy } => ({
      backend,
      proxy,
      tool: (name) => `${backend.tag}__${name}`,
      open: async () => {
        sessionsBefore = new Set(web.backend.sessionIds);
        return connectRecordingClient({ url: proxy.url });
      },
      ready: async (rc) => {
        await waitForGetStream(rc);
        await newBackendSessionStreaming(web, sessionsBefore);
      },
    });
    targets["replicas, HTTP backend"] = viaReplicas(web);
    targets["replicas, stdio backend"] = viaReplicas(pipe);
  });

  afterAll(async () => {
    await Promise.all([proxy?.close(), directProxy?.close()]);
    await Promise.all(replicas.map((r) => r.stop()));
    await Promise.all([web?.close(), directWeb?.close(), pipe?.close()]);
    await redis?.close();
  });

  for (const row of [
    "direct HTTP through the proxy",
    "replicas, HTTP backend",
    "replicas, stdio backend",
  ]) {
    describe(row, () => {
      const target = () => targets[row] as Target & { proxy: RoundRobinProxy };
      let rc: RecordingClient | undefined;
      afterEach(async () => {
        target().proxy.setRouter(undefined);
        await rc?.close().catch(() => undefined);
        rc = undefined;
      });

      it("requests alternating: every progress, log, sampling, elicitation (form, URL) and roots request reaches the client, every answer the backend", async () => {
        const from = target().proxy.requests.length;
        rc = await target().open();
        await checkEverything(rc, target().tool("everything"), target().backend.tag);
        const seen = since(target().proxy, from);
        const call = seen.find((r) => r.rpc === "tools/call");
        const answers = seen.filter((r) => r.rpc === "response");
        expect(call, "the proxy saw the tools/call").toBeDefined();
        expect(
          answers.length,
          "the four answers (sampling, form, URL, roots) went through the proxy",
        ).toBeGreaterThanOrEqual(4);
        expect(
          answers.some((a) => a.replica !== call?.replica),
          `at least one answer landed on the other replica than the call (${call?.replica}): ${JSON.stringify(answers)}`,
        ).toBe(true);
        // Each 202 follows the holder's bus acknowledgement; the call may have finished first.
        await waitUntil(
          () => answers.every((answer) => answer.status !== 0),
          10_000,
          "the replies to the answers",
        );
        for (const answer of answers) expect(answer.status, `answer #${answer.seq}`).toBe(202);
      });

      for (const callOn of [0, 1]) {
        it(`the call on replica ${callOn}: every sampling, elicitation and roots answer lands on replica ${1 - callOn} and reaches the backend`, async () => {
          rc = await target().open();
          target().proxy.setRouter(answersElsewhere(callOn));
          const from = target().proxy.requests.length;
          await checkEverything(rc, target().tool("everything"), target().backend.tag);
          await expectLandedOn(target().proxy, from, "response", 1 - callOn, 4);
          expect(
            since(target().proxy, from)
              .filter((r) => r.rpc === "tools/call")
              .map((r) => r.replica),
            "the call was served by the replica the router chose",
          ).toEqual([callOn]);
        });

        it(`the call on replica ${callOn}: its cancellation lands on replica ${1 - callOn} and the backend's tool observes its abort signal`, async () => {
          rc = await target().open();
          target().proxy.setRouter(answersElsewhere(callOn));
          const from = target().proxy.requests.length;
          await checkCancellation(rc, target().tool("wait-cancel"), target().backend);
          await expectLandedOn(target().proxy, from, "notifications/cancelled", 1 - callOn, 1);
          expect(
            since(target().proxy, from)
              .filter((r) => r.rpc === "tools/call")
              .map((r) => r.replica),
            "the call was served by the replica the router chose",
          ).toEqual([callOn]);
        });
      }

      it("list_changed and resources/updated sent while the client's GET stream is on the other replica reach the client", async () => {
        rc = await target().open();
        await target().ready(rc);
        const stream = openGetStream(target().proxy);
        expect(stream, "the client's open GET stream went through the proxy").toBeDefined();
        const elsewhere = 1 - (stream?.replica ?? 0);
        target().proxy.setRouter(({ rpc }) => (rpc === "tools/call" ? elsewhere : undefined));
        const from = target().proxy.requests.length;
        await checkListChanged(rc, target().tool("change-lists"), target().backend.tag, {
          // A stdio backend is a process per replica: only the one that changed its lists has
          // the addition, so only the notification is checked there.
          checkLists: target().backend.tag !== "pipe",
        });
        await checkResourceUpdated(rc, target().tool("touch"), target().backend.tag);
        const calls = since(target().proxy, from).filter((r) => r.rpc === "tools/call");
        expect(
          calls.map((c) => c.replica),
          `both calls served away from the GET stream's replica ${stream?.replica}`,
        ).toEqual([elsewhere, elsewhere]);
      });
    });
  }
});

for (const kind of ["HTTP", "stdio"] as const) {
  describe(`a replica killed while a sampling request it relays is outstanding (${kind} backend)`, () => {
    let redis: RedisServer;
    let web: StreamingHttpBackend;
    let pipe: StreamingStdioBackend;
    let replicas: GatewayProcess[] = [];
    let proxy: RoundRobinProxy;
    let rc: RecordingClient | undefined;
    const backend = (): StreamingBackend => (kind === "HTTP" ? web : pipe);

    beforeAll(async () => {
      [redis, web] = await Promise.all([startRedisServer(), startStreamingHttpBackend("web")]);
      pipe = streamingStdioBackend("pipe");
      const prefix = `vmcp:s2c-kill-${kind}:${process.pid}:`;
      const flag = kind === "HTTP" ? `web=${web.url}` : pipe.backendFlag;
      replicas = await Promise.all([
        startReplica(redis, prefix, [flag]),
        startReplica(redis, prefix, [flag]),
      ]);
      proxy = await startRoundRobinProxy(replicas.map((r) => r.url));
    });
    afterAll(async () => {
      await rc?.close().catch(() => undefined);
      await proxy?.close();
      // The survivor stops its own stdio backends; the killed replica's one is killed here.
      await Promise.all(replicas.map((r) => r.stop()));
      for (const pid of new Set(pipe?.events().map((e) => e.pid))) {
        try {
          // Only this suite's own backend process (a pid may have been reused since).
          const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
          if (pipe !== undefined && cmdline.includes(pipe.args.at(-1) ?? "")) {
            process.kill(pid, "SIGKILL");
          }
        } catch {
          // already gone
        }
      }
      await Promise.all([web?.close(), pipe?.close()]);
      await redis?.close();
    });

    it("the client's answer, posted to the survivor, gets a JSON-RPC error within a bound; the session keeps working there, notifications included", async () => {
      const tag = backend().tag;
      rc = await connectRecordingClient({ url: proxy.url });
      const client = rc;
      // Touch the session on both replicas first, so the survivor knows it already.
      await client.client.listTools();
      await client.client.listTools();
      proxy.setRouter(answersElsewhere(0));
      let release: () => void = () => undefined;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      client.setSamplingGate(() => released);
      const key = newKey("kill");
      // Its response stream dies with replica 0; how the call ends is not what this test is about.
      void client.client
        .callTool(
          { name: "sample", arguments: { key, prompt: "before the kill" } },
          CallToolResultSchema,
          { timeout: CallTimeoutMs },
        )
        .catch(() => undefined);
      await waitForEvent(backend(), "sample-asked", key);
      await waitForReceived(client, "the sampling request relayed by replica 0", (r) =>
        r.includes("sampling:before the kill"),
      );
      expect(
        proxy.requests.filter((r) => r.rpc === "tools/call").at(-1)?.replica,
        "the sampling call is held by replica 0",
      ).toBe(0);

      await replicas[0]?.kill();
      proxy.setDown(0, true);
      const from = proxy.requests.length;
      release();

      let answer: ProxiedRequest | undefined;
      try {
        await waitUntil(
          () => {
            answer = since(proxy, from).find((r) => r.rpc === "response" && r.status !== 0);
            return answer !== undefined;
          },
          10_000,
          "the answer's HTTP status",
          25,
        );
      } catch {
        throw new Error(
          `the client's sampling answer, posted to the survivor, got no HTTP answer within 10000 ms (a hang); proxy saw: ${JSON.stringify(since(proxy, from))}`,
        );
      }
      expect(answer?.replica, "the answer went to the surviving replica").toBe(1);
      if (answer?.status === 202) {
        // Accepted: then it must not be lost (a replica may deliver it to the backend itself).
        const delivered = await waitForEvent(backend(), "sample-answered", key).catch(() => {
          throw new Error(
            "the survivor accepted (202) the answer to a request held by the dead replica, but the backend never got it: an acknowledged answer was lost",
          );
        });
        expect(delivered.detail).toBe("sampled: before the kill");
      } else {
        expect(
          answer?.status,
          "the survivor refuses an answer nobody waits for with an HTTP error status",
        ).toBeGreaterThanOrEqual(400);
        expect(answer?.body, "the refusal carries a JSON-RPC error").toMatchObject({
          jsonrpc: "2.0",
          error: { code: expect.any(Number), message: expect.any(String) },
        });
        expect(
          backend()
            .events()
            .some((e) => e.key === key && e.kind === "sample-answered"),
          "a refused answer did not reach the backend",
        ).toBe(false);
      }

      // The session goes on, on the survivor: a plain call, then a whole sampling round trip.
      client.setSamplingGate(undefined);
      const who = await client.client.callTool({ name: "whoami" }, CallToolResultSchema, {
        timeout: CallTimeoutMs,
      });
      expect(resultText(who), "whoami through the survivor").toMatch(new RegExp(`^${tag}:\\d+$`));
      const again = newKey("after-kill");
      const sampled = await client.client.callTool(
        { name: "sample", arguments: { key: again, prompt: "after the kill" } },
        CallToolResultSchema,
        { timeout: CallTimeoutMs },
      );
      expect(resultText(sampled), "a sampling round trip on the survivor").toBe(
        "sampled: after the kill",
      );
      expect((await waitForEvent(backend(), "sample-answered", again)).detail).toBe(
        "sampled: after the kill",
      );

      // Unsolicited notifications keep flowing: the client's GET stream comes back on the
      // survivor, and (HTTP) the survivor holds the backend's GET stream, which replica 0 held
      // or shared, so list_changed is not lost (ToolHive #5748).
      await waitUntil(() => openGetStream(proxy)?.replica === 1, 15_000, "", 25).catch(() => {
        throw new Error(
          `the client's GET /mcp stream was not open on the survivor within 15000 ms; proxy saw: ${JSON.stringify(proxy.requests.filter((r) => r.httpMethod === "GET"))}`,
        );
      });
      if (kind === "HTTP") {
        await waitUntil(() => web.backend.openGetStreams.size > 0, 10_000, "", 25).catch(() => {
          throw new Error(
            "after replica 0 died, no replica held the HTTP backend's GET stream within 10000 ms: the backend's list_changed and resources/updated would be lost",
          );
        });
      }
      await checkListChanged(client, "change-lists", tag);
      await checkResourceUpdated(client, "touch", tag);
      expect(
        since(proxy, from).every((r) => r.replica === 1),
        "everything after the kill was served by the survivor",
      ).toBe(true);
    });
  });
}
