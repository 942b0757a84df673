import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  type Progress,
} from "@modelcontextprotocol/sdk/types.js";
import { InProcessMessageBus, MemoryStorage } from "@vmcp/store-memory";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LoggedGateway, startLoggedGateway, waitFor } from "./helpers/in-process.js";
import {
  type RelayBackend,
  relayStdioScript,
  startRelayBackend,
} from "./helpers/relay-backends.js";

/** One POST or GET the client sent, which replica it went to, and what came back. */
interface Sent {
  readonly replica: number;
  readonly method: string;
  readonly body: string;
  readonly status: number;
  readonly responseText?: string;
}

/**
 * A real SDK client whose every HTTP request goes to the next replica in turn (a round-robin
 * load balancer without affinity), answering sampling, elicitation and roots like a user's client.
 */
async function connectAlternating(
  urls: readonly string[],
  options: { answerDelayMs?: number } = {},
) {
  const sent: Sent[] = [];
  const logs: unknown[] = [];
  let turn = 0;
  const transport = new StreamableHTTPClientTransport(new URL(`${urls[0]}/mcp`), {
    fetch: async (input, init) => {
      const replica = turn++ % urls.length;
      const url = new URL(String(input instanceof Request ? input.url : input));
      const target = new URL(`${urls[replica]}${url.pathname}`);
      const response = await fetch(target, init);
      const body = typeof init?.body === "string" ? init.body : "";
      const record: Sent = {
        replica,
        method: init?.method ?? "GET",
        body,
        status: response.status,
      };
      if (init?.method === "POST" && body.includes('"result"') && !body.includes('"method"')) {
        const clone = response.clone();
        sent.push({ ...record, responseText: await clone.text() });
      } else sent.push(record);
      return response;
    },
  });
  const client = new Client(
    { name: "alternating-user", version: "1.0.0" },
    { capabilities: { sampling: {}, elicitation: { form: {}, url: {} }, roots: {} } },
  );
  const pause = () =>
    options.answerDelayMs === undefined
      ? Promise.resolve()
      : new Promise((resolve) => setTimeout(resolve, options.answerDelayMs));
  client.setRequestHandler(CreateMessageRequestSchema, async () => {
    await pause();
    return { role: "assistant", model: "test", content: { type: "text", text: "sampled" } };
  });
  client.setRequestHandler(ElicitRequestSchema, async (request) =>
    request.params.mode === "url"
      ? { action: "accept" }
      : { action: "accept", content: { name: "Ada" } },
  );
  client.setRequestHandler(ListRootsRequestSchema, async () => ({
    roots: [{ uri: "file:///work" }],
  }));
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    logs.push(n.params.data);
  });
  await client.connect(transport);
  return { client, sent, logs };
}

function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content[0]?.text ?? "";
}

describe("answers and cancellations cross replicas through the message bus (two gateways, one store, one in-process bus)", () => {
  let http: RelayBackend;
  let one: LoggedGateway;
  let two: LoggedGateway;
  let bus: InProcessMessageBus;
  let storage: MemoryStorage;
  let urls: string[];

  beforeAll(async () => {
    http = await startRelayBackend("hb");
    bus = new InProcessMessageBus();
    storage = new MemoryStorage();
    const raw = {
      logLevel: "info",
      bindingSecret: "bus-routing-binding-secret-1234567",
      backends: [
        { workloadId: "hb", url: http.url },
        { workloadId: "sb", command: process.execPath, args: [relayStdioScript, "sb"] },
      ],
      limits: { serverRequestTimeoutMs: 1500, answerAckTimeoutMs: 1000 },
    };
    [one, two] = await Promise.all([
      // Two replicas in this process on the shared store and bus.
      startLoggedGateway(raw, { bus, storage }),
      startLoggedGateway(raw, { bus, storage }),
    ]);
    urls = [one.gateway.url, two.gateway.url];
  });
  afterAll(async () => {
    await Promise.all([one?.gateway.close(), two?.gateway.close()]);
    await http?.close();
    await bus?.close();
    await storage?.close();
  });

  for (const backend of ["hb", "sb"]) {
    it(`${backend}: every server-to-client request is answered through the other replica, with progress and logs on the call's stream`, async () => {
      const { client, sent, logs } = await connectAlternating(urls);
      const progress: Progress[] = [];
      const result = await client.callTool(
        { name: `${backend}__relay`, arguments: {} },
        undefined,
        {
          onprogress: (p) => progress.push(p),
        },
      );
      expect(JSON.parse(textOf(result))).toEqual({
        sampled: "sampled",
        form: { name: "Ada" },
        url: "accept",
        roots: ["file:///work"],
      });
      expect(progress.map((p) => p.progress)).toEqual([1, 2, 3]);
      expect(logs).toEqual([`${backend} log 1`, `${backend} log 2`]);
      const call = sent.find((s) => s.body.includes(`"${backend}__relay"`));
      // An answer is recorded once its reply is in, which follows the holder's bus
      // acknowledgement: the call may have finished first.
      const answered = () => sent.filter((s) => s.responseText !== undefined);
      await waitFor("the replies to the four answers", () => answered().length >= 4, 10_000);
      const answers = answered();
      expect(answers).toHaveLength(4);
      // Alternation sends some answers to the replica that does not hold the call: all accepted.
      expect(answers.some((a) => a.replica !== call?.replica)).toBe(true);
      for (const a of answers) expect(a.status).toBe(202);
      await client.close();
    });

    it(`${backend}: the client's cancellation reaches the backend from the other replica`, async () => {
      const { client, sent } = await connectAlternating(urls);
      const count = (event: string) =>
        backend === "hb"
          ? http.events.filter((e) => e === event).length
          : [...one.lines(), ...two.lines()].filter((l) => l.includes(`event ${event}`)).length;
      const started = count("slow:started");
      const aborted = count("slow:aborted");
      const controller = new AbortController();
      const call = client.callTool(
        { name: `${backend}__slow`, arguments: { ms: 30_000 } },
        undefined,
        { signal: controller.signal },
      );
      await waitFor("the slow tool started", () => count("slow:started") > started);
      const callReplica = sent.find((s) => s.body.includes(`"${backend}__slow"`))?.replica;
      controller.abort("the user gave up");
      await expect(call).rejects.toThrow();
      await waitFor("the backend saw the cancellation", () => count("slow:aborted") > aborted);
      const cancel = sent.find((s) => s.body.includes("notifications/cancelled"));
      expect(cancel?.replica).not.toBe(callReplica);
      await client.close();
    });
  }

  it("an answer whose waiter is gone (timed out) gets a JSON-RPC error from the other replica, within the ack bound", async () => {
    const { client, sent } = await connectAlternating(urls, { answerDelayMs: 2500 });
    const result = await client.callTool({ name: "hb__relay", arguments: {} });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("did not answer sampling/createMessage");
    await waitFor(
      "the late answer was refused",
      () => sent.some((s) => s.responseText !== undefined),
      10_000,
    );
    const late = sent.find((s) => s.responseText !== undefined);
    expect(late?.status).toBe(400);
    expect(JSON.parse(late?.responseText ?? "{}")).toMatchObject({
      error: { data: { code: "VMCP_ANSWER_UNCLAIMED" } },
    });
    await client.close();
  });
});
