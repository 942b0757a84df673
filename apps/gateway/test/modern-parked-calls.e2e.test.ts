/**
 * Issue 21, part 2: a 2025-era backend's mid-call sampling, elicitation and roots requests reach
 * an SDK v2 client pinned to 2026-07-28 as `input_required` rounds. Two gateways on one real
 * Redis behind a round-robin proxy (requests alternate, so a retry lands on the other replica
 * than the one holding the parked call), SDK v1 backends over Streamable HTTP and stdio, real
 * tokens. Covers: auto-fulfilled rounds with real client handlers, two backend requests gathered
 * into one round, a second round, progress of the parked call on the retry's stream, a partial
 * answer re-asked, refused states (forged, replayed, expired, other identity, other request), two
 * retries racing with one state, the park timeout (backend cancelled, later retry -32004) and the
 * table bound (the backend refused with -32005).
 */
import {
  Client,
  type ClientCapabilities,
  StreamableHTTPClientTransport,
} from "@modelcontextprotocol/client";
import { type RedisServer, startRedisServer } from "@vmcp/redis-harness";
import { MemoryStorage } from "@vmcp/store-memory";
import { waitUntil } from "@vmcp/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SealedRequestStates } from "../dist/http/mcp-2026-07-28/request-state/sealed-request-states.js";
import { type LoggedGateway, startLoggedGateway } from "./helpers/in-process.js";
import { resultText } from "./helpers/mcp-client.js";
import { connectModernClient } from "./helpers/modern-client.js";
import { type ParkBackend, parkStdioScript, startParkBackend } from "./helpers/park-backends.js";
import { type RoundRobinProxy, startRoundRobinProxy } from "./helpers/round-robin-proxy.js";

const BindingSecret = "modern-parked-calls-binding-secret";
const Tokens = {
  "tok-alice": { issuer: "static", subject: "alice" },
  "tok-bob": { issuer: "static", subject: "bob" },
};
const ParkTimeoutMs = 4_000;
const MaxParkedCalls = 3;
const Capabilities: ClientCapabilities = { elicitation: { form: {} }, sampling: {}, roots: {} };

type Result = Record<string, unknown>;

/** What one auto-fulfilling client's handlers were asked. */
interface Asked {
  readonly methods: string[];
}

/** An SDK v2 client pinned to 2026-07-28 that answers input rounds itself, with real handlers. */
async function connectFulfilling(
  url: string,
  token: string,
): Promise<{ client: Client; asked: Asked }> {
  const asked: Asked = { methods: [] };
  const client = new Client(
    { name: "parked-e2e", version: "1.0.0" },
    { versionNegotiation: { mode: { pin: "2026-07-28" } }, capabilities: Capabilities },
  );
  client.setRequestHandler("elicitation/create", async (request) => {
    asked.methods.push(`elicitation:${String(request.params.message)}`);
    return { action: "accept", content: { name: "ann" } };
  });
  client.setRequestHandler("roots/list", async () => {
    asked.methods.push("roots");
    return { roots: [{ uri: "file:///work", name: "work" }] };
  });
  client.setRequestHandler("sampling/createMessage", async () => {
    asked.methods.push("sampling");
    return { role: "assistant", content: { type: "text", text: "sampled" }, model: "test" };
  });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return { client, asked };
}

/** A JSON-RPC error's code and `data`, from what `client.request` threw. */
function rpcError(error: unknown): { code: unknown; data: Record<string, unknown> } {
  const e = error as { code?: unknown; data?: unknown };
  return { code: e.code, data: (e.data ?? {}) as Record<string, unknown> };
}

describe("a 2025-era backend's mid-call requests reach a 2026-07-28 client as input_required rounds, across two replicas", () => {
  let redis: RedisServer;
  let web: ParkBackend;
  const gateways: LoggedGateway[] = [];
  let proxy: RoundRobinProxy;
  const clients: Client[] = [];
  /** The requestState clock's offset, ms (moved forward to expire a state). */
  let skew = 0;

  beforeAll(async () => {
    [redis, web] = await Promise.all([startRedisServer(), startParkBackend("web")]);
    // Both replicas seal and open with the gateway's real sealing, single use in one ledger.
    const ledger = new MemoryStorage();
    for (let i = 0; i < 2; i++) {
      gateways.push(
        await startLoggedGateway(
          {
            store: { kind: "redis", url: redis.url },
            bindingSecret: BindingSecret,
            identity: { kind: "static", tokens: Tokens },
            modern: { parkTimeoutMs: ParkTimeoutMs, maxParkedCalls: MaxParkedCalls },
            backends: [
              { workloadId: "web", url: web.url },
              { workloadId: "pipe", command: process.execPath, args: [parkStdioScript, "pipe"] },
            ],
          },
          {
            requestState: new SealedRequestStates({
              storage: ledger,
              secret: BindingSecret,
              now: () => Date.now() + skew,
            }),
          },
        ),
      );
    }
    proxy = await startRoundRobinProxy(gateways.map((g) => g.url));
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await proxy?.close();
    for (const gateway of gateways) await gateway.close();
    await web?.close();
    await redis?.close();
  });

  /** A manual-mode client (rounds left to the test), pinned to 2026-07-28. */
  const manual = async (token = "tok-alice") => {
    const client = await connectModernClient(proxy.url, { token, capabilities: Capabilities });
    clients.push(client);
    return client;
  };
  const call = (client: Client, name: string, extra: Result = {}, args: Result = {}) =>
    client.request(
      { method: "tools/call", params: { name, arguments: args, ...extra } },
      { allowInputRequired: true },
    ) as Promise<Result>;

  for (const workload of ["web", "pipe"] as const) {
    it(`${workload} (${workload === "web" ? "HTTP" : "stdio"}): an auto-fulfilling client gets the result of two rounds; progress of the parked call reaches the retry's stream; the retries land on the other replica`, async () => {
      const { client, asked } = await connectFulfilling(proxy.url, "tok-alice");
      clients.push(client);
      const from = proxy.requests.length;
      const progress: unknown[] = [];
      const result = await client.request(
        { method: "tools/call", params: { name: `${workload}__trip`, arguments: {} } },
        { onprogress: (p) => progress.push(p), timeout: 20_000 },
      );
      expect(JSON.parse(resultText(result))).toEqual({
        form: { name: "ann" },
        roots: ["file:///work"],
        sampled: "sampled",
      });
      expect(asked.methods.sort()).toEqual([
        `elicitation:${workload} wants a name`,
        "roots",
        "sampling",
      ]);
      // Step 1 on the first request's stream, step 2 (sent while the first retry waited) on a
      // retry's; the SDK's own "Fulfilling input required" progress between them is left out.
      const backendProgress = progress.filter(
        (p) => !String((p as { message?: unknown }).message).startsWith("Fulfilling"),
      );
      expect(backendProgress).toEqual([
        { progress: 1, total: 2, message: `${workload} step 1` },
        { progress: 2, total: 2, message: `${workload} step 2` },
      ]);
      const calls = proxy.requests.slice(from).filter((r) => r.rpc === "tools/call");
      expect(calls).toHaveLength(3);
      expect(new Set(calls.map((r) => r.replica))).toEqual(new Set([0, 1]));
    });
  }

  it("gathers requests that arrive together into one round; a partial answer is asked again; a second backend request makes another round", async () => {
    const client = await manual();
    const round1 = await call(client, "web__trip");
    expect(round1).toMatchObject({
      resultType: "input_required",
      inputRequests: {
        "elicitation-1": { method: "elicitation/create", params: { mode: "form" } },
        "roots-2": { method: "roots/list" },
      },
    });
    expect(round1.requestState).toMatch(/^v1\./);
    const round2 = await call(client, "web__trip", {
      inputResponses: { "elicitation-1": { action: "accept", content: { name: "bo" } } },
      requestState: round1.requestState,
    });
    expect(round2.resultType).toBe("input_required");
    expect(Object.keys(round2.inputRequests as Result)).toEqual(["roots-2"]);
    const round3 = await call(client, "web__trip", {
      inputResponses: { "roots-2": { roots: [{ uri: "file:///b" }] } },
      requestState: round2.requestState,
    });
    expect(round3).toMatchObject({
      resultType: "input_required",
      inputRequests: { "sampling-3": { method: "sampling/createMessage" } },
    });
    const done = await call(client, "web__trip", {
      inputResponses: {
        "sampling-3": { role: "assistant", content: { type: "text", text: "s" }, model: "m" },
      },
      requestState: round3.requestState,
    });
    expect(JSON.parse(resultText(done))).toEqual({
      form: { name: "bo" },
      roots: ["file:///b"],
      sampled: "s",
    });
  });

  it("progress the backend sends while the call is parked reaches the next retry's stream, on the other replica", async () => {
    const client = await manual();
    const from = proxy.requests.length;
    // Asking for progress from the first round on (as an auto-fulfilling client does) gives the
    // backend a progress token for the whole call.
    const early: unknown[] = [];
    const round = (await client.request(
      { method: "tools/call", params: { name: "web__nudge", arguments: {} } },
      { allowInputRequired: true, onprogress: (p) => early.push(p) },
    )) as Result;
    expect(round.resultType).toBe("input_required");
    // The backend's progress comes while no request waits on the call: kept for the retry.
    await new Promise((resolve) => setTimeout(resolve, 400));
    const progress: unknown[] = [];
    const done = await client.request(
      {
        method: "tools/call",
        params: {
          name: "web__nudge",
          arguments: {},
          inputResponses: { "elicitation-1": { action: "accept", content: { ok: true } } },
          requestState: round.requestState,
        },
      },
      { allowInputRequired: true, onprogress: (p) => progress.push(p) },
    );
    expect(resultText(done)).toBe("nudged: accept");
    expect(early).toEqual([]);
    expect(progress).toEqual([{ progress: 1, message: "web while parked" }]);
    const replicas = proxy.requests
      .slice(from)
      .filter((r) => r.rpc === "tools/call")
      .map((r) => r.replica);
    expect(replicas).toHaveLength(2);
    expect(replicas[0]).not.toBe(replicas[1]);
  });

  it("the retry's caller going away cancels the backend call on the replica holding it", async () => {
    const client = await manual();
    const round = await call(client, "web__hold", {}, { tag: "leaver", waitMs: 20_000 });
    expect(round.resultType).toBe("input_required");
    const leaving = new AbortController();
    const retry = client.request(
      {
        method: "tools/call",
        params: {
          name: "web__hold",
          arguments: { tag: "leaver", waitMs: 20_000 },
          inputResponses: { "elicitation-1": { action: "accept", content: { ok: true } } },
          requestState: round.requestState,
        },
      },
      { allowInputRequired: true, signal: leaving.signal },
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    leaving.abort();
    await expect(retry).rejects.toBeDefined();
    await waitUntil(
      () => web.events.includes("hold:aborted:leaver"),
      5_000,
      "the backend call cancelled on its holder",
    );
  });

  it("refuses forged, replayed, expired, other-identity and other-request states (-32602 invalid_request_state); the rightful retry still proceeds", async () => {
    const alice = await manual();
    const bob = await manual("tok-bob");
    const round1 = await call(alice, "web__trip");
    const state = round1.requestState as string;
    const answers = {
      "elicitation-1": { action: "decline" },
      "roots-2": { roots: [] },
    };
    const refused = async (
      client: Client,
      name: string,
      requestState: string,
      args: Result = {},
    ) => {
      const error = await call(client, name, { inputResponses: answers, requestState }, args).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(rpcError(error)).toMatchObject({
        code: -32602,
        data: { reason: "invalid_request_state" },
      });
    };
    const [head, payload, mac] = state.split(".");
    // At once, so the rightful retry comes well within the park timeout even on a busy machine.
    await Promise.all([
      refused(
        alice,
        "web__trip",
        `${head}.${payload}.${mac?.startsWith("A") ? "B" : "A"}${mac?.slice(1)}`,
      ),
      refused(bob, "web__trip", state),
      refused(alice, "web__trip", state, { other: 1 }),
    ]);
    skew = 11 * 60_000;
    try {
      await refused(alice, "web__trip", state);
    } finally {
      skew = 0;
    }
    const round2 = await call(alice, "web__trip", { inputResponses: answers, requestState: state });
    expect(round2).toMatchObject({ inputRequests: { "sampling-3": {} } });
    await refused(alice, "web__trip", state); // replayed
    const done = await call(alice, "web__trip", {
      inputResponses: {
        "sampling-3": { role: "assistant", content: { type: "text", text: "x" }, model: "m" },
      },
      requestState: round2.requestState,
    });
    expect(JSON.parse(resultText(done))).toMatchObject({ form: "decline", sampled: "x" });
  });

  it("two retries racing with one state: exactly one proceeds", async () => {
    const client = await manual();
    const round1 = await call(client, "pipe__trip");
    const retry = {
      inputResponses: {
        "elicitation-1": { action: "accept", content: { name: "r" } },
        "roots-2": { roots: [] },
      },
      requestState: round1.requestState,
    };
    const outcomes = await Promise.allSettled([
      call(client, "pipe__trip", retry),
      call(client, "pipe__trip", retry),
    ]);
    const won = outcomes.filter((o) => o.status === "fulfilled");
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected");
    expect(won).toHaveLength(1);
    expect(won[0]?.status === "fulfilled" && won[0].value).toMatchObject({
      resultType: "input_required",
      inputRequests: { "sampling-3": {} },
    });
    expect(lost.map((o) => rpcError(o.reason))).toEqual([
      { code: -32602, data: expect.objectContaining({ reason: "invalid_request_state" }) },
    ]);
  });

  it("holds at most maxParkedCalls per replica (the backend is refused -32005 beyond); a call not retried within the park timeout is cancelled at the backend and its retry is -32004", async () => {
    const client = await manual();
    proxy.setRouter(() => 0);
    const rounds: Result[] = [];
    try {
      // Earlier tests' parked calls ended (answered or timed out): wait for the table to be free.
      await new Promise((resolve) => setTimeout(resolve, ParkTimeoutMs));
      for (let i = 0; i < MaxParkedCalls; i++) {
        rounds.push(await call(client, "web__hold", {}, { tag: `t${i}` }));
      }
      for (const round of rounds) expect(round.resultType).toBe("input_required");
      const over = await call(client, "web__hold", {}, { tag: "over" });
      expect(resultText(over)).toContain("-32005");
      expect(resultText(over)).toContain(`bound of ${MaxParkedCalls} calls parked`);
    } finally {
      proxy.setRouter(undefined);
    }
    const started = Date.now();
    await waitUntil(
      () => [0, 1, 2].every((i) => web.events.includes(`hold:aborted:t${i}`)),
      ParkTimeoutMs + 3_000,
      "the parked calls cancelled at the backend",
    );
    expect(Date.now() - started).toBeLessThan(ParkTimeoutMs + 3_000);
    const error = await call(
      client,
      "web__hold",
      {
        inputResponses: { "elicitation-1": { action: "accept", content: { ok: true } } },
        requestState: rounds[0]?.requestState,
      },
      { tag: "t0" },
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(rpcError(error)).toMatchObject({
      code: -32004,
      data: { code: "VMCP_PARKED_CALL_GONE", workloadId: "web" },
    });
  });
});
