import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  type Progress,
} from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LoggedGateway, startLoggedGateway, waitFor } from "./helpers/in-process.js";
import {
  type RelayBackend,
  relayStdioScript,
  startRelayBackend,
} from "./helpers/relay-backends.js";

/** What one test client saw. */
interface Seen {
  readonly logs: unknown[];
  readonly serverRequestIds: string[];
  readonly contentTypes: string[];
}

/** A real SDK client that answers sampling, elicitation (form and URL) and roots like a user's would. */
async function connectUser(
  gatewayUrl: string,
  options: { silentSampling?: boolean } = {},
): Promise<{ client: Client; seen: Seen; transport: StreamableHTTPClientTransport }> {
  const seen: Seen = { logs: [], serverRequestIds: [], contentTypes: [] };
  const transport = new StreamableHTTPClientTransport(new URL(`${gatewayUrl}/mcp`), {
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      if (init?.method === "POST")
        seen.contentTypes.push(response.headers.get("content-type") ?? "");
      return response;
    },
  });
  const client = new Client(
    { name: "streamed-user", version: "1.0.0" },
    {
      capabilities: {
        sampling: {},
        elicitation: { form: {}, url: {} },
        roots: { listChanged: true },
      },
    },
  );
  client.setRequestHandler(CreateMessageRequestSchema, async (request, extra) => {
    seen.serverRequestIds.push(String(extra.requestId));
    if (options.silentSampling === true) await new Promise(() => undefined);
    const first = request.params.messages[0]?.content;
    const part = Array.isArray(first) ? first[0] : first;
    const asked = part?.type === "text" ? part.text : "";
    return { role: "assistant", model: "test", content: { type: "text", text: `re: ${asked}` } };
  });
  client.setRequestHandler(ElicitRequestSchema, async (request, extra) => {
    seen.serverRequestIds.push(String(extra.requestId));
    return request.params.mode === "url"
      ? { action: "accept" }
      : { action: "accept", content: { name: "Ada" } };
  });
  client.setRequestHandler(ListRootsRequestSchema, async (_request, extra) => {
    seen.serverRequestIds.push(String(extra.requestId));
    return { roots: [{ uri: "file:///work" }] };
  });
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    seen.logs.push(n.params.data);
  });
  await client.connect(transport);
  return { client, seen, transport };
}

function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content[0]?.text ?? "";
}

describe("streamed responses through one gateway (HTTP and stdio backends)", () => {
  let http: RelayBackend;
  let gateway: LoggedGateway;

  beforeAll(async () => {
    http = await startRelayBackend("hb");
    gateway = await startLoggedGateway({
      backends: [
        { workloadId: "hb", url: http.url },
        { workloadId: "sb", command: process.execPath, args: [relayStdioScript, "sb"] },
      ],
      limits: { serverRequestTimeoutMs: 1500 },
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await http?.close();
  });

  for (const backend of ["hb", "sb"]) {
    it(`${backend}: progress with the client's token, log messages, sampling, both elicitation modes and roots reach the client on the POST's stream`, async () => {
      const { client, seen } = await connectUser(gateway.url);
      const progress: Progress[] = [];
      seen.contentTypes.length = 0;
      const result = await client.callTool(
        { name: `${backend}__relay`, arguments: {} },
        undefined,
        {
          onprogress: (p) => progress.push(p),
        },
      );
      expect(JSON.parse(textOf(result))).toEqual({
        sampled: `re: ${backend} asks`,
        form: { name: "Ada" },
        url: "accept",
        roots: ["file:///work"],
      });
      expect(progress.map((p) => [p.progress, p.total, p.message])).toEqual([
        [1, 3, `${backend} step 1`],
        [2, 3, `${backend} step 2`],
        [3, 3, `${backend} step 3`],
      ]);
      expect(seen.logs).toEqual([`${backend} log 1`, `${backend} log 2`]);
      // Four server-to-client requests, each with a random gateway ID, never the backend's own.
      expect(seen.serverRequestIds).toHaveLength(4);
      for (const id of seen.serverRequestIds) expect(id).toMatch(/^vmcp:[A-Za-z0-9_-]{22}$/);
      expect(new Set(seen.serverRequestIds).size).toBe(4);
      // The tool call streamed; the four answers were accepted (202, no body).
      expect(seen.contentTypes[0]).toBe("text/event-stream");
      await client.close();
    });
  }

  it("a request nobody streams still gets plain JSON", async () => {
    const { client, seen } = await connectUser(gateway.url);
    seen.contentTypes.length = 0;
    await client.listTools();
    expect(seen.contentTypes).toEqual(["application/json"]);
    await client.close();
  });

  it("a client that accepts only JSON gets plain JSON even when the backend sends progress", async () => {
    const { transport, client } = await connectUser(gateway.url);
    const response = await fetch(`${gateway.url}/mcp`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json",
        "mcp-session-id": transport.sessionId as string,
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "hb__slow", arguments: { ms: 50 }, _meta: { progressToken: "p" } },
      }),
    });
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toMatchObject({ id: 1, result: { content: [{ text: "done" }] } });
    await client.close();
  });

  it("a batch streams all of its responses after the messages of its requests", async () => {
    const { transport, client } = await connectUser(gateway.url);
    const sessionId = transport.sessionId as string;
    const response = await fetch(`${gateway.url}/mcp`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-session-id": sessionId,
      },
      body: JSON.stringify([
        {
          jsonrpc: "2.0",
          id: "a",
          method: "tools/call",
          params: { name: "hb__slow", arguments: { ms: 50 }, _meta: { progressToken: "tok-a" } },
        },
        { jsonrpc: "2.0", id: "b", method: "tools/list", params: {} },
      ]),
    });
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const text = await response.text();
    expect(text.startsWith("retry: ")).toBe(true);
    const events = text
      .split("\n\n")
      .filter((e) => e.includes("data: "))
      .map((e) => ({
        id: /^id: (.+)$/m.exec(e)?.[1],
        data: JSON.parse(/^data: (.+)$/m.exec(e)?.[1] ?? "null") as Record<string, unknown>,
      }));
    expect(events).toHaveLength(3);
    expect(events[0]?.data.method).toBe("notifications/progress");
    const firstParams = (events[0]?.data.params ?? {}) as { progressToken?: unknown };
    expect(firstParams.progressToken).toBe("tok-a");
    expect(
      events
        .slice(1)
        .map((e) => e.data.id)
        .sort(),
    ).toEqual(["a", "b"]);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    await client.close();
  });

  for (const backend of ["hb", "sb"]) {
    it(`${backend}: the client's notifications/cancelled stops the backend request`, async () => {
      const { client } = await connectUser(gateway.url);
      const count = (event: string) =>
        backend === "hb"
          ? http.events.filter((e) => e === event).length
          : gateway.lines().filter((l) => l.includes(`event ${event}`)).length;
      const started = count("slow:started");
      const aborted = count("slow:aborted");
      const controller = new AbortController();
      const call = client.callTool(
        { name: `${backend}__slow`, arguments: { ms: 30_000 } },
        undefined,
        { signal: controller.signal },
      );
      await waitFor("the slow tool started", () => count("slow:started") > started);
      controller.abort("the user gave up");
      await expect(call).rejects.toThrow();
      await waitFor("the backend saw the cancellation", () => count("slow:aborted") > aborted);
      await client.close();
    });
  }

  it("the client's notifications/roots/list_changed reaches every backend", async () => {
    const { client } = await connectUser(gateway.url);
    const stdioBefore = gateway.lines().filter((l) => l.includes("event roots:changed")).length;
    const httpBefore = http.events.filter((e) => e === "roots:changed").length;
    await client.sendRootsListChanged();
    await waitFor(
      "both backends heard of it",
      () =>
        http.events.filter((e) => e === "roots:changed").length > httpBefore &&
        gateway.lines().filter((l) => l.includes("event roots:changed")).length > stdioBefore,
    );
    await client.close();
  });

  it("a server-to-client request the client never answers ends at the configured timeout with a typed error for the backend", async () => {
    const { client } = await connectUser(gateway.url, { silentSampling: true });
    const result = await client.callTool({ name: "hb__relay", arguments: {} });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("did not answer sampling/createMessage within 1500 ms");
    await client.close();
  });

  it("an answer no request waits for gets a JSON-RPC error, never a hang", async () => {
    const { transport, client } = await connectUser(gateway.url);
    const response = await fetch(`${gateway.url}/mcp`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-session-id": transport.sessionId as string,
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: "vmcp:AAAAAAAAAAAAAAAAAAAAAA", result: {} }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: number; data: { code: string } } };
    expect(body.error.data.code).toBe("VMCP_ANSWER_UNCLAIMED");
    await client.close();
  });
});
