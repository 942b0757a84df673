/**
 * Issue 21, part 3: a 2025-era client (SDK v1, with real sampling, elicitation and roots handlers)
 * through two gateway replicas on a real Redis, behind the round-robin proxy (requests
 * alternating), to a modern-only SDK v2 backend whose tools answer `input_required`. The gateway
 * answers each round with real server-to-client requests on the client's session, the client's
 * answer lands on the other replica, and the backend is retried with the answers and its state.
 * Then every way a round can fail, each bounded and typed.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { Client as SdkClient } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  type ClientCapabilities,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  McpError,
} from "@modelcontextprotocol/sdk/types.js";
import { type RedisServer, startRedisServer } from "@vmcp/redis-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LoggedGateway, startLoggedGateway } from "./helpers/in-process.js";
import { type RoundBackend, startRoundBackend } from "./helpers/input-round-backends.js";
import { resultText } from "./helpers/mcp-client.js";
import { type RoundRobinProxy, startRoundRobinProxy } from "./helpers/round-robin-proxy.js";

const BindingSecret = "legacy-modern-rounds-binding-secret-0123";
/** The gateways' bound on the client's answer, ms (small: the silent-client case waits it out). */
const ServerRequestTimeoutMs = 1_000;
/** The gateways' bound on input rounds per call. */
const MaxInputRounds = 3;
const AllCapabilities: ClientCapabilities = { sampling: {}, elicitation: { form: {} }, roots: {} };

/** How a test's client answers each kind of request (default: a fixed answer). */
interface Answers {
  elicit?: (message: string) => Promise<Record<string, unknown>>;
}

/** An SDK v1 client on 2025-11-25 through the proxy, recording what the gateway asked it. */
interface RecordingLegacyClient {
  readonly client: Client;
  /** `<method>:<first text>` of every server-to-client request, in order. */
  readonly asked: string[];
  /** The `data` of every log message that reached it. */
  readonly logs: unknown[];
  close(): Promise<void>;
}

async function connectLegacy(
  url: string,
  capabilities: ClientCapabilities,
  answers: Answers = {},
): Promise<RecordingLegacyClient> {
  const asked: string[] = [];
  const logs: unknown[] = [];
  const client = new SdkClient({ name: "rounds-e2e", version: "2.5.0" }, { capabilities });
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    logs.push(n.params.data);
  });
  if (capabilities.elicitation !== undefined) {
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(`elicitation/create:${request.params.message}`);
      if (answers.elicit !== undefined) return answers.elicit(request.params.message);
      return { action: "accept", content: { value: "yes" } };
    });
  }
  if (capabilities.sampling !== undefined) {
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      const first = request.params.messages[0]?.content;
      const prompt = first !== undefined && "text" in first ? String(first.text) : "";
      asked.push(`sampling/createMessage:${prompt}`);
      return {
        role: "assistant",
        model: "e2e",
        content: { type: "text", text: `sampled ${prompt}` },
      };
    });
  }
  if (capabilities.roots !== undefined) {
    client.setRequestHandler(ListRootsRequestSchema, async () => {
      asked.push("roots/list:");
      return { roots: [{ uri: "file:///work", name: "work" }] };
    });
  }
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`));
  await client.connect(transport);
  return {
    client,
    asked,
    logs,
    close: async () => {
      await transport.terminateSession().catch(() => undefined);
      await client.close();
    },
  };
}

/** The JSON-RPC error a call rejected with. */
async function rpcError(call: Promise<unknown>): Promise<McpError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(McpError);
  return error as McpError;
}

describe("a 2025-era client with a modern-only backend, through two replicas on Redis", () => {
  let redis: RedisServer;
  let rounds: RoundBackend;
  let doomed: RoundBackend;
  const replicas: LoggedGateway[] = [];
  let proxy: RoundRobinProxy;

  beforeAll(async () => {
    [redis, rounds, doomed] = await Promise.all([
      startRedisServer(),
      startRoundBackend("rounds"),
      startRoundBackend("doomed"),
    ]);
    const raw = {
      bindingSecret: BindingSecret,
      store: { kind: "redis", url: redis.url },
      connectTimeoutMs: 1_000,
      limits: { serverRequestTimeoutMs: ServerRequestTimeoutMs, maxInputRounds: MaxInputRounds },
      backends: [
        { workloadId: "rounds", url: rounds.url },
        { workloadId: "doomed", url: doomed.url },
      ],
    };
    replicas.push(...(await Promise.all([startLoggedGateway(raw), startLoggedGateway(raw)])));
    proxy = await startRoundRobinProxy(replicas.map((r) => r.url));
  });

  afterAll(async () => {
    await proxy?.close();
    await Promise.all(replicas.map((r) => r.close()));
    await Promise.all([rounds?.close(), doomed?.close()]);
    await redis?.close();
  });

  /** The legs `backend` served for `tool` from `from` on. */
  const legsOf = (backend: RoundBackend, tool: string, from: number) =>
    backend.legs.slice(from).filter((leg) => leg.tool === tool);

  it("one round: the client's answer lands on the other replica, the backend is retried with it and its state, progress and logs reach the client", async () => {
    const legacy = await connectLegacy(proxy.url, AllCapabilities);
    try {
      // The level is kept by the session (every replica), and sent in each request's envelope.
      await legacy.client.setLoggingLevel("info");
      const fromLeg = rounds.legs.length;
      const fromRequest = proxy.requests.length;
      const progress: unknown[] = [];
      const result = await legacy.client.callTool(
        { name: "rounds_confirm", arguments: {} },
        undefined,
        { onprogress: (p) => progress.push(p) },
      );
      expect(resultText(result)).toBe("confirmed yes");
      expect(legacy.asked).toEqual(["elicitation/create:Proceed?"]);
      expect(progress).toEqual([
        { progress: 1, total: 2, message: "asking" },
        { progress: 2, total: 2, message: "answered" },
      ]);
      expect(legacy.logs).toEqual(["asking"]);
      const legs = legsOf(rounds, "confirm", fromLeg);
      expect(legs).toHaveLength(2);
      expect(legs[0]?.requestState).toBeUndefined();
      expect(legs[1]).toMatchObject({
        requestState: "confirm",
        inputResponses: { ok: { action: "accept", content: { value: "yes" } } },
      });
      // Each request carried the client's own envelope: its capabilities and its info.
      for (const leg of legs) {
        expect(leg.clientCapabilities).toEqual(AllCapabilities);
        expect(leg.clientInfo).toEqual({ name: "rounds-e2e", version: "2.5.0" });
      }
      const seen = proxy.requests.slice(fromRequest);
      const call = seen.find((r) => r.rpc === "tools/call");
      const answer = seen.find((r) => r.rpc === "response");
      expect(call).toBeDefined();
      expect(answer).toBeDefined();
      expect(answer?.replica).not.toBe(call?.replica);
    } finally {
      await legacy.close();
    }
  });

  it("several rounds: sampling, then an elicitation and a roots request in one round", async () => {
    const legacy = await connectLegacy(proxy.url, AllCapabilities);
    try {
      const fromLeg = rounds.legs.length;
      const result = await legacy.client.callTool({ name: "rounds_survey", arguments: {} });
      expect(resultText(result)).toBe("sampled Pick a topic/yes/file:///work");
      expect(legacy.asked.slice(0, 1)).toEqual(["sampling/createMessage:Pick a topic"]);
      expect([...legacy.asked.slice(1)].sort()).toEqual([
        "elicitation/create:Your name?",
        "roots/list:",
      ]);
      const legs = legsOf(rounds, "survey", fromLeg);
      expect(legs.map((l) => l.requestState)).toEqual([
        undefined,
        "survey:1",
        "survey:2:sampled Pick a topic",
      ]);
    } finally {
      await legacy.close();
    }
  });

  it("the client answers with an error: the call fails with -32603 VMCP_INPUT_REQUEST_FAILED, the backend is not retried", async () => {
    const legacy = await connectLegacy(proxy.url, AllCapabilities, {
      elicit: async () => {
        throw new McpError(-32001, "the user closed the dialog");
      },
    });
    try {
      const fromLeg = rounds.legs.length;
      const error = await rpcError(
        legacy.client.callTool({ name: "rounds_confirm", arguments: {} }),
      );
      expect(error.code).toBe(-32603);
      expect(error.data).toMatchObject({ code: "VMCP_INPUT_REQUEST_FAILED" });
      expect(error.message).toContain("the user closed the dialog");
      expect(legsOf(rounds, "confirm", fromLeg)).toHaveLength(1);
    } finally {
      await legacy.close();
    }
  });

  it("the client never answers: the call fails after serverRequestTimeoutMs with VMCP_SERVER_REQUEST_TIMEOUT", async () => {
    const legacy = await connectLegacy(proxy.url, AllCapabilities, {
      elicit: () => new Promise(() => undefined),
    });
    try {
      const fromLeg = rounds.legs.length;
      const started = performance.now();
      const error = await rpcError(
        legacy.client.callTool({ name: "rounds_confirm", arguments: {} }),
      );
      const elapsed = performance.now() - started;
      expect(error.code).toBe(-32603);
      expect(error.data).toMatchObject({ code: "VMCP_SERVER_REQUEST_TIMEOUT" });
      expect(elapsed).toBeGreaterThanOrEqual(ServerRequestTimeoutMs - 50);
      expect(elapsed).toBeLessThan(ServerRequestTimeoutMs + 3_000);
      expect(legsOf(rounds, "confirm", fromLeg)).toHaveLength(1);
    } finally {
      await legacy.close();
    }
  });

  it(`a backend that keeps asking: the call fails after ${MaxInputRounds} rounds with -32005 VMCP_INPUT_ROUNDS_EXCEEDED`, async () => {
    const legacy = await connectLegacy(proxy.url, AllCapabilities);
    try {
      const fromLeg = rounds.legs.length;
      const error = await rpcError(
        legacy.client.callTool({ name: "rounds_forever", arguments: {} }),
      );
      expect(error.code).toBe(-32005);
      expect(error.data).toMatchObject({ code: "VMCP_INPUT_ROUNDS_EXCEEDED" });
      expect(legacy.asked).toEqual([
        "elicitation/create:Again 1?",
        "elicitation/create:Again 2?",
        "elicitation/create:Again 3?",
      ]);
      // The first leg and one retry per round served.
      expect(legsOf(rounds, "forever", fromLeg)).toHaveLength(MaxInputRounds + 1);
    } finally {
      await legacy.close();
    }
  });

  // An SDK v2 backend refuses such an input request itself (its own -32021, passed through); the
  // gateway checks the same before asking the client (input-fulfilment.test.ts), for backends
  // that do not.
  it("a client that declared no sampling: the call fails with -32021 naming the capability, the client is asked nothing", async () => {
    const legacy = await connectLegacy(proxy.url, { elicitation: { form: {} } });
    try {
      const fromLeg = rounds.legs.length;
      const error = await rpcError(
        legacy.client.callTool({ name: "rounds_sample", arguments: {} }),
      );
      expect(error.code).toBe(-32021);
      expect(error.data).toMatchObject({ requiredCapabilities: { sampling: {} } });
      expect(legacy.asked).toEqual([]);
      expect(legsOf(rounds, "sample", fromLeg)).toHaveLength(1);
    } finally {
      await legacy.close();
    }
  });

  // Last: the backend it kills stays dead for the rest of the file.
  it("the backend dies mid-round: the call fails with -32004 naming it, without a hang", async () => {
    const legacy = await connectLegacy(proxy.url, AllCapabilities, {
      elicit: async () => {
        await doomed.close();
        return { action: "accept", content: { value: "too late" } };
      },
    });
    try {
      const fromLeg = doomed.legs.length;
      const started = performance.now();
      const error = await rpcError(
        legacy.client.callTool({ name: "doomed_confirm", arguments: {} }),
      );
      expect(error.code).toBe(-32004);
      expect(error.data).toMatchObject({ code: "VMCP_BACKEND_UNAVAILABLE", workloadId: "doomed" });
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(legacy.asked).toEqual(["elicitation/create:Proceed?"]);
      expect(legsOf(doomed, "confirm", fromLeg)).toHaveLength(1);
    } finally {
      await legacy.close();
    }
  });
});
