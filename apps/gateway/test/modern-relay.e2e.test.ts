import type { Client } from "@modelcontextprotocol/client";
import { MetadataKeyBackendEra } from "@vmcp/session-keys";
import { InProcessMessageBus, MemoryStorage } from "@vmcp/store-memory";
import { waitUntil } from "@vmcp/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verdictRecordId } from "../dist/http/mcp-2026-07-28/backends/verdict-record.js";
import { type LoggedGateway, startLoggedGateway } from "./helpers/in-process.js";
import { connectClient, resultText } from "./helpers/mcp-client.js";
import { type ModernBackendFixture, startModernBackend } from "./helpers/modern-backends.js";
import {
  connectModernClient,
  envelope,
  ModernRevision,
  modernPost,
} from "./helpers/modern-client.js";
import { recordingRequestStates } from "./helpers/test-request-state.js";

const BindingSecret = "modern-relay-binding-secret";
const ListTtlCapMs = 25_000;
const TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

type Result = Record<string, unknown>;

/** The code and data of a JSON-RPC error an SDK v2 client threw. */
function rpcError(error: unknown): { code?: unknown; data?: Record<string, unknown> } {
  return error as { code?: unknown; data?: Record<string, unknown> };
}

async function failure(
  pending: Promise<unknown>,
): Promise<{ code?: unknown; data?: Record<string, unknown> }> {
  try {
    await pending;
  } catch (error) {
    return rpcError(error);
  }
  throw new Error("expected the request to fail");
}

describe("2026-07-28 clients through the gateway, relayed to 2026-07-28 backends", () => {
  let modernA: ModernBackendFixture;
  let dualB: ModernBackendFixture;
  const storage = new MemoryStorage();
  const bus = new InProcessMessageBus();
  // Each replica seals with its own key object from the shared secret; single use in the store.
  const requestState = recordingRequestStates(BindingSecret, storage);
  let gw1: LoggedGateway;
  let gw2: LoggedGateway;
  let client: Client;

  beforeAll(async () => {
    [modernA, dualB] = await Promise.all([
      startModernBackend("modern-a", {
        legacy: "reject",
        listHint: { ttlMs: 30_000, cacheScope: "public" },
      }),
      startModernBackend("dual-b", {
        legacy: "stateless",
        listHint: { ttlMs: 20_000, cacheScope: "public" },
      }),
    ]);
    const raw = {
      bindingSecret: BindingSecret,
      maxBodyBytes: 65_536,
      modern: { listTtlCapMs: ListTtlCapMs },
      backends: [
        { workloadId: "modern-a", url: modernA.url },
        // 2025-era and stdio backends beside these: modern-pooled-replicas.e2e.test.ts.
        { workloadId: "dual-b", url: dualB.url },
      ],
    };
    gw1 = await startLoggedGateway(raw, { storage, bus, requestState: requestState.port() });
    gw2 = await startLoggedGateway(raw, { storage, bus, requestState: requestState.port() });
    client = await connectModernClient(gw1.url);
  });

  afterAll(async () => {
    await client?.close();
    await gw1?.close();
    await gw2?.close();
    await Promise.all([modernA?.close(), dualB?.close()]);
    await bus.close();
    await storage.close();
  });

  it("server/discover: 2026-07-28, the union of the backends' capabilities, their instructions", async () => {
    const discover = client.getDiscoverResult();
    expect(discover?.supportedVersions).toEqual([ModernRevision]);
    expect(discover?._meta?.["io.modelcontextprotocol/serverInfo"]).toMatchObject({
      name: "vmcp-gateway",
    });
    expect(discover?.capabilities).toEqual({
      tools: {},
      prompts: {},
      resources: {},
      completions: {},
      logging: {},
    });
    const instructions = discover?.instructions ?? "";
    expect(instructions).toContain("## dual-b\ndual-b instructions");
    expect(instructions).toContain("## modern-a\nmodern-a instructions");
    expect(instructions.indexOf("## dual-b")).toBeLessThan(instructions.indexOf("## modern-a"));
  });

  it("keeps each backend's verdict in the store with a TTL, and another replica adopts it without probing", async () => {
    const record = await storage.load(verdictRecordId({ url: modernA.url }, BindingSecret));
    const verdict = JSON.parse(record?.metadata[MetadataKeyBackendEra] ?? "{}") as Result;
    expect(verdict).toMatchObject({
      kind: "modern",
      discover: { supportedVersions: [ModernRevision] },
    });
    expect(record?.expiresAt).toBe((verdict.storedAt as number) + 300_000);

    const other = await connectModernClient(gw2.url);
    try {
      const result = await other.request({
        method: "tools/call",
        params: { name: "modern-a__echo", arguments: { text: "via B" } },
      });
      expect(resultText(result)).toBe("modern-a: via B");
    } finally {
      await other.close();
    }
    // One probe per backend for both replicas.
    expect(modernA.methods.get("server/discover")).toBe(1);
    expect(dualB.methods.get("server/discover")).toBe(1);
  });

  it("lists: the 2025 naming rule, cursors any replica accepts, and caching hints by the documented rule", async () => {
    const names: string[] = [];
    const hints: [unknown, unknown][] = [];
    let cursor: string | undefined;
    let page = 0;
    do {
      // Pages alternate between the replicas: the cursor is not bound to the one that made it.
      const via = page % 2 === 0 ? client : await connectModernClient(gw2.url);
      const result = (await via.request({
        method: "tools/list",
        params: cursor === undefined ? {} : { cursor },
      })) as Result;
      if (via !== client) await via.close();
      names.push(...(result.tools as { name: string }[]).map((t) => t.name));
      hints.push([result.ttlMs, result.cacheScope]);
      cursor = result.nextCursor as string | undefined;
      page++;
    } while (cursor !== undefined);
    expect(names).toEqual([
      "dual-b__echo",
      "dual-b_steps",
      "dual-b_ask",
      "dual-b_wait",
      "modern-a__echo",
      "modern-a_steps",
      "modern-a_ask",
      "modern-a_wait",
    ]);
    // dual-b says 20 s, modern-a 30 s, the cap is 25 s: a page's ttlMs is the least of the
    // backend pages it was made from, capped; no identity verifier and public backends: public.
    expect(hints).toEqual([
      [20_000, "public"],
      [20_000, "public"],
      [ListTtlCapMs, "public"],
    ]);

    const first = (await client.request({ method: "tools/list", params: {} })) as Result;
    const forged = `${String(first.nextCursor).slice(0, -2)}xx`;
    const bad = await failure(client.request({ method: "tools/list", params: { cursor: forged } }));
    expect(bad).toMatchObject({ code: -32602, data: { code: "VMCP_INVALID_CURSOR" } });
    const foreign = await failure(
      client.request({ method: "prompts/list", params: { cursor: String(first.nextCursor) } }),
    );
    expect(foreign).toMatchObject({ code: -32602, data: { code: "VMCP_INVALID_CURSOR" } });

    const prompts = (await client.request({ method: "prompts/list", params: {} })) as Result;
    expect((prompts.prompts as { name: string }[]).map((p) => p.name)).toEqual([
      "dual-b_greet",
      "modern-a_greet",
    ]);
    const resources = (await client.request({ method: "resources/list", params: {} })) as Result;
    expect((resources.resources as { uri: string }[]).map((r) => r.uri)).toEqual([
      "dual-b://readme",
      "modern-a://readme",
    ]);
    const templates = (await client.request({
      method: "resources/templates/list",
      params: {},
    })) as Result;
    expect(templates).toMatchObject({ ttlMs: 20_000, cacheScope: "public" });
    expect(
      (templates.resourceTemplates as { uriTemplate: string }[]).map((t) => t.uriTemplate),
    ).toEqual(["dual-b://items/{item}", "modern-a://items/{item}"]);
  });

  it("relays a call's progress under the caller's token and its logs when the caller set a level, mirroring the envelope", async () => {
    const progress: unknown[] = [];
    const logs: unknown[] = [];
    client.setNotificationHandler("notifications/message", (n) => {
      logs.push(n.params.data);
    });
    const result = await client.request(
      {
        method: "tools/call",
        params: {
          name: "modern-a_steps",
          arguments: { count: 3 },
          _meta: { "io.modelcontextprotocol/logLevel": "info", traceparent: TraceParent },
        },
      },
      { onprogress: (p) => progress.push(p) },
    );
    expect(resultText(result)).toBe("3 steps done");
    expect(result._meta?.["io.modelcontextprotocol/serverInfo"]).toMatchObject({
      name: "vmcp-gateway",
    });
    expect(progress).toEqual(
      [1, 2, 3].map((i) => ({ progress: i, total: 3, message: `step ${i}` })),
    );
    expect(logs).toEqual(["log 1", "log 2", "log 3"]);
    expect(modernA.callMetas.at(-1)).toMatchObject({
      "io.modelcontextprotocol/protocolVersion": ModernRevision,
      "io.modelcontextprotocol/clientInfo": { name: "modern-e2e", version: "1.0.0" },
      "io.modelcontextprotocol/clientCapabilities": { elicitation: { form: {} } },
      "io.modelcontextprotocol/logLevel": "info",
      traceparent: TraceParent,
    });

    // No level: the backend's log messages are not relayed.
    logs.length = 0;
    await client.request({
      method: "tools/call",
      params: { name: "dual-b_steps", arguments: { count: 2 } },
    });
    expect(logs).toEqual([]);

    // On the wire: an SSE response whose progress frames carry the caller's own token.
    const raw = await modernPost(gw2.url, {
      id: 7,
      method: "tools/call",
      params: {
        name: "dual-b_steps",
        arguments: { count: 2 },
        _meta: envelope({ progressToken: "p-7" }),
      },
    });
    expect(raw.status).toBe(200);
    expect(raw.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const frames = raw.body as Result[];
    expect(
      frames.filter((f) => f.method === "notifications/progress").map((f) => f.params),
    ).toEqual([
      { progressToken: "p-7", progress: 1, total: 2, message: "step 1" },
      { progressToken: "p-7", progress: 2, total: 2, message: "step 2" },
    ]);
    expect(frames.some((f) => f.method === "notifications/message")).toBe(false);
    expect(frames.at(-1)).toMatchObject({ id: 7, result: { resultType: "complete" } });
  });

  it("routes prompts/get, resources/read and completion/complete to the owning backend", async () => {
    const prompt = (await client.request({
      method: "prompts/get",
      params: { name: "modern-a_greet", arguments: { name: "ann" } },
    })) as Result;
    expect(JSON.stringify(prompt.messages)).toContain("modern-a greets ann");

    const listed = (await client.request({
      method: "resources/read",
      params: { uri: "dual-b://readme" },
    })) as Result;
    expect(listed.contents).toEqual([{ uri: "dual-b://readme", text: "dual-b readme" }]);
    const templated = (await client.request({
      method: "resources/read",
      params: { uri: "modern-a://items/7" },
    })) as Result;
    expect(templated.contents).toEqual([{ uri: "modern-a://items/7", text: "modern-a item 7" }]);

    const byPrompt = (await client.request({
      method: "completion/complete",
      params: {
        ref: { type: "ref/prompt", name: "dual-b_greet" },
        argument: { name: "name", value: "an" },
      },
    })) as Result;
    expect(byPrompt.completion).toMatchObject({ values: ["ann", "anna"] });
    const byTemplate = (await client.request({
      method: "completion/complete",
      params: {
        ref: { type: "ref/resource", uri: "modern-a://items/{item}" },
        argument: { name: "item", value: "" },
      },
    })) as Result;
    expect(byTemplate.completion).toMatchObject({ values: ["1", "2", "3"] });

    const unknown = await failure(
      client.request({ method: "tools/call", params: { name: "nope", arguments: {} } }),
    );
    expect(unknown).toMatchObject({ code: -32602, data: { code: "VMCP_UNKNOWN_TOOL" } });
    const missing = await failure(
      client.request({ method: "resources/read", params: { uri: "nowhere://x" } }),
    );
    expect(missing).toMatchObject({
      code: -32602,
      data: { code: "VMCP_UNKNOWN_RESOURCE", uri: "nowhere://x" },
    });
  });

  it("passes input_required rounds through with the gateway's own requestState; the retry on the other replica reaches the backend with its state", async () => {
    const call = (via: Client, params: Result) =>
      via.request(
        { method: "tools/call", params: { name: "dual-b_ask", arguments: {}, ...params } },
        { allowInputRequired: true },
      ) as Promise<Result>;
    const round1 = await call(client, {});
    expect(round1.resultType).toBe("input_required");
    expect(round1.inputRequests).toMatchObject({ name: { method: "elicitation/create" } });
    expect(round1.requestState).not.toBe("name:");
    expect(requestState.sealed.at(-1)).toEqual({
      route: { workloadId: "dual-b", target: "dual-b_ask" },
      backendState: "name:",
      binding: { method: "tools/call", name: "dual-b_ask", args: {} },
    });

    const other = await connectModernClient(gw2.url);
    try {
      const round2 = await call(other, {
        inputResponses: { name: { action: "accept", content: { name: "ann" } } },
        requestState: round1.requestState,
      });
      expect(round2).toMatchObject({ resultType: "input_required", inputRequests: { colour: {} } });
      const done = await call(client, {
        inputResponses: { colour: { action: "accept", content: { colour: "blue" } } },
        requestState: round2.requestState,
      });
      expect(resultText(done)).toBe("ann likes blue");
    } finally {
      await other.close();
    }
    expect(dualB.retries).toEqual([
      {
        inputResponses: { name: { action: "accept", content: { name: "ann" } } },
        requestState: "name:",
      },
      {
        inputResponses: { colour: { action: "accept", content: { colour: "blue" } } },
        requestState: "colour:ann",
      },
    ]);

    // A used token, and one presented for another tool, are refused in-band.
    const replay = await failure(call(client, { requestState: round1.requestState }));
    expect(replay).toMatchObject({ code: -32602, data: { reason: "invalid_request_state" } });
    const fresh = await call(client, {});
    const moved = await failure(
      client.request(
        {
          method: "tools/call",
          params: { name: "modern-a_ask", arguments: {}, requestState: fresh.requestState },
        },
        { allowInputRequired: true },
      ),
    );
    expect(moved).toMatchObject({ code: -32602, data: { reason: "invalid_request_state" } });

    // A caller that declares no elicitation: the backend's -32021 comes through.
    const bare = await connectModernClient(gw1.url, { capabilities: {} });
    try {
      expect(await failure(call(bare, {}))).toMatchObject({ code: -32021 });
    } finally {
      await bare.close();
    }
  });

  it("closing the caller's stream aborts the backend call (its handler's signal fires)", async () => {
    const controller = new AbortController();
    const pending = client.request(
      { method: "tools/call", params: { name: "modern-a_wait", arguments: { key: "k1" } } },
      { signal: controller.signal },
    );
    await waitUntil(() => modernA.started.includes("k1"), 10_000, "the backend call started");
    controller.abort();
    await expect(pending).rejects.toThrow();
    await waitUntil(
      () => modernA.aborted.includes("k1"),
      10_000,
      "the backend handler's signal fired",
    );
  });

  it("a backend call that fails for transport probes the backend again, and the next call works", async () => {
    const probes = modernA.methods.get("server/discover") ?? 0;
    modernA.failNext(1);
    const failed = await failure(
      client.request({
        method: "tools/call",
        params: { name: "modern-a__echo", arguments: { text: "x" } },
      }),
    );
    expect(failed).toMatchObject({
      code: -32004,
      data: { code: "VMCP_BACKEND_UNAVAILABLE", workloadId: "modern-a" },
    });
    await waitUntil(
      () => (modernA.methods.get("server/discover") ?? 0) > probes,
      10_000,
      "a new probe",
    );
    const again = await client.request({
      method: "tools/call",
      params: { name: "modern-a__echo", arguments: { text: "y" } },
    });
    expect(resultText(again)).toBe("modern-a: y");
  });

  it("a 2025 SDK v1 client still works through the same endpoint, and reaches the modern backends statelessly", async () => {
    const { client: legacy, transport } = await connectClient(gw1.url);
    try {
      expect(legacy.getServerVersion()?.name).toBe("vmcp-gateway");
      const names: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await legacy.listTools(cursor === undefined ? {} : { cursor });
        names.push(...page.tools.map((t) => t.name));
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      // modern-a refuses 2025-era initialize, dual-b serves both eras: each answers server/discover,
      // so the 2025 session reaches both with 2026-07-28 requests, and `echo` is prefixed.
      expect(names).toEqual(
        expect.arrayContaining(["modern-a__echo", "dual-b__echo", "dual-b_steps"]),
      );
      const before = modernA.methods.get("tools/call") ?? 0;
      const result = await legacy.callTool({ name: "modern-a__echo", arguments: { text: "old" } });
      expect(resultText(result)).toBe("modern-a: old");
      expect(modernA.methods.get("tools/call")).toBe(before + 1);
      await transport.terminateSession();
    } finally {
      await legacy.close();
    }
  });

  it("answers bad 2026-07-28 input with the spec's typed errors", async () => {
    const tools = { id: 1, method: "tools/list", params: { _meta: envelope() } };

    const noCapabilities = await modernPost(gw1.url, {
      ...tools,
      params: { _meta: { "io.modelcontextprotocol/protocolVersion": ModernRevision } },
    });
    expect(noCapabilities.status).toBe(400);
    expect(noCapabilities.body).toMatchObject({ error: { code: -32602 } });

    const mismatch = await modernPost(gw1.url, tools, { "mcp-protocol-version": "2025-11-25" });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body).toMatchObject({ error: { code: -32020 } });
    const nameMismatch = await modernPost(
      gw1.url,
      {
        id: 2,
        method: "tools/call",
        params: { name: "dual-b__echo", arguments: { text: "x" }, _meta: envelope() },
      },
      { "mcp-name": "other" },
    );
    expect(nameMismatch.status).toBe(400);
    expect(nameMismatch.body).toMatchObject({ error: { code: -32020 } });

    const unknownRevision = await modernPost(
      gw1.url,
      {
        ...tools,
        params: { _meta: envelope({ "io.modelcontextprotocol/protocolVersion": "2099-01-01" }) },
      },
      { "mcp-protocol-version": "2099-01-01" },
    );
    expect(unknownRevision.status).toBe(400);
    expect(unknownRevision.body).toMatchObject({
      error: { code: -32022, data: { supported: [ModernRevision], requested: "2099-01-01" } },
    });

    const noEnvelope = await modernPost(gw1.url, { id: 3, method: "tools/list", params: {} });
    expect(noEnvelope.status).toBe(400);
    expect(noEnvelope.body).toMatchObject({ error: { code: -32602 } });

    const huge = await modernPost(gw1.url, {
      ...tools,
      params: { _meta: envelope({ padding: "x".repeat(70_000) }) },
    });
    expect(huge.status).toBe(413);
    expect(huge.body).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32600 } });

    const initialize = await modernPost(gw1.url, {
      id: 4,
      method: "initialize",
      params: {
        protocolVersion: "2025-11-25",
        capabilities: {},
        clientInfo: { name: "x", version: "1" },
      },
    });
    expect(initialize.status).toBe(400);
    expect(initialize.body).toMatchObject({ error: { code: -32020 } });

    const ping = await modernPost(gw1.url, {
      id: 5,
      method: "ping",
      params: { _meta: envelope() },
    });
    expect(ping.status).toBe(404);
    expect(ping.body).toMatchObject({ error: { code: -32601 } });

    const origin = await modernPost(gw1.url, tools, { origin: "https://evil.example" });
    expect(origin.status).toBe(403);
  });

  it("answers headers that disagree with the body, malformed envelopes and messages, and over-deep or large _meta by the spec's rungs", async () => {
    const tools = { id: 11, method: "tools/list", params: { _meta: envelope() } };
    const echo = {
      id: 12,
      method: "tools/call",
      params: { name: "dual-b__echo", arguments: { text: "x" }, _meta: envelope() },
    };
    const refused = async (
      label: string,
      message: Parameters<typeof modernPost>[1],
      headers: Record<string, string | null>,
      status: number,
      error: Record<string, unknown>,
    ) => {
      const answer = await modernPost(gw1.url, message, headers);
      expect(answer.status, label).toBe(status);
      expect(answer.body, label).toMatchObject({ jsonrpc: "2.0", error });
    };
    // Headers: missing, disagreeing, malformed (the SDK's ladder, -32020).
    await refused("Mcp-Method differs", tools, { "mcp-method": "tools/call" }, 400, {
      code: -32020,
    });
    await refused("no Mcp-Method", tools, { "mcp-method": null }, 400, { code: -32020 });
    await refused("no version header", tools, { "mcp-protocol-version": null }, 400, {
      code: -32020,
    });
    await refused("no Mcp-Name", echo, { "mcp-name": null }, 400, { code: -32020 });
    await refused("bad Base64 Mcp-Name", echo, { "mcp-name": "=?base64?%%?=" }, 400, {
      code: -32020,
    });
    const encodedName = await modernPost(gw1.url, echo, {
      "mcp-name": `=?base64?${Buffer.from("dual-b__echo").toString("base64")}?=`,
    });
    expect(encodedName.body).toMatchObject({ result: { content: [{ text: "dual-b: x" }] } });
    // A 2025-era revision claimed in a 2026-07-28 envelope: not served on this path.
    await refused(
      "2025 claim",
      {
        ...tools,
        params: { _meta: envelope({ "io.modelcontextprotocol/protocolVersion": "2025-11-25" }) },
      },
      { "mcp-protocol-version": "2025-11-25" },
      400,
      { code: -32022, data: { supported: [ModernRevision], requested: "2025-11-25" } },
    );
    // Malformed envelopes: -32602 naming the key.
    for (const [key, value] of [
      ["io.modelcontextprotocol/clientCapabilities", "yes"],
      ["io.modelcontextprotocol/clientInfo", 5],
      ["io.modelcontextprotocol/logLevel", "loud"],
    ] as const) {
      await refused(key, { ...tools, params: { _meta: envelope({ [key]: value }) } }, {}, 400, {
        code: -32602,
        data: { envelope: { key } },
      });
    }
    // Malformed messages that claim 2026-07-28: -32600.
    const claimed = { "mcp-method": "tools/list" };
    await refused("_meta an array", { ...tools, params: { _meta: [1] } }, {}, 400, {
      code: -32600,
    });
    await refused(
      "params an array",
      JSON.stringify({ jsonrpc: "2.0", ...tools, params: [envelope()] }),
      claimed,
      400,
      { code: -32600 },
    );
    await refused("jsonrpc 1.0", JSON.stringify({ ...tools, jsonrpc: "1.0" }), claimed, 400, {
      code: -32600,
    });
    await refused("a batch", JSON.stringify([{ jsonrpc: "2.0", ...tools }]), claimed, 400, {
      code: -32600,
    });
    // _meta past the JSON depth bound: refused before anything is classified.
    let deep: unknown = "bottom";
    for (let i = 0; i < 80; i++) deep = { d: deep };
    await refused("deep _meta", { ...tools, params: { _meta: envelope({ deep }) } }, {}, 400, {
      code: -32600,
      message: expect.stringContaining("deeper than 64 levels"),
    });
    // A large _meta within maxBodyBytes (65,536) is served, mirrored to the backend intact.
    const padding = "p".repeat(60_000);
    const large = await modernPost(gw1.url, {
      ...echo,
      params: { ...echo.params, _meta: envelope({ padding }) },
    });
    expect(large.body).toMatchObject({ result: { content: [{ text: "dual-b: x" }] } });
    expect(dualB.callMetas.at(-1)?.padding).toBe(padding);
  });

  it("refuses a forged requestState in-band before the store or the backend sees it; the genuine one still works", async () => {
    const ask = (requestState?: string) =>
      client.request(
        {
          method: "tools/call",
          params: {
            name: "dual-b_ask",
            arguments: {},
            ...(requestState === undefined
              ? {}
              : {
                  requestState,
                  inputResponses: { name: { action: "accept", content: { name: "bo" } } },
                }),
          },
        },
        { allowInputRequired: true },
      ) as Promise<Result>;
    const round1 = (await ask()) as Result & { requestState: string };
    const retries = dualB.retries.length;
    const last = round1.requestState.at(-1) === "A" ? "B" : "A";
    const forged = [
      `${round1.requestState.slice(0, -1)}${last}`,
      "v1.AAAA.BBBB",
      "not-a-state",
      "x".repeat(60_000),
    ];
    for (const state of forged) {
      expect(await failure(ask(state))).toMatchObject({
        code: -32602,
        data: { reason: "invalid_request_state", code: "VMCP_INVALID_REQUEST_STATE" },
      });
    }
    expect(dualB.retries).toHaveLength(retries);
    // None of them used the genuine state up.
    const round2 = await ask(round1.requestState);
    expect(round2).toMatchObject({ resultType: "input_required", inputRequests: { colour: {} } });
    expect(dualB.retries.at(-1)).toMatchObject({ requestState: "name:" });
  });
});

describe("2026-07-28 clients through a gateway that verifies identities and bounds calls", () => {
  let backend: ModernBackendFixture;
  let gateway: LoggedGateway;
  const requestState = recordingRequestStates();

  beforeAll(async () => {
    backend = await startModernBackend("modern-a", {
      legacy: "reject",
      listHint: { ttlMs: 30_000, cacheScope: "public" },
    });
    gateway = await startLoggedGateway(
      {
        backends: [{ workloadId: "modern-a", url: backend.url }],
        identity: {
          kind: "static",
          tokens: { "tok-alice": { issuer: "static", subject: "alice" } },
        },
        // Long enough for a busy machine to answer every other call; the wait tool never answers.
        modern: { callTimeoutMs: 2_000 },
      },
      { requestState: requestState.port() },
    );
  });

  afterAll(async () => {
    await gateway?.close();
    await backend?.close();
  });

  it("refuses a modern request without a valid token (401), and binds lists and input rounds to the caller", async () => {
    const anonymous = await modernPost(gateway.url, {
      id: 1,
      method: "tools/list",
      params: { _meta: envelope() },
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toMatch(/^Bearer/);

    const alice = await connectModernClient(gateway.url, { token: "tok-alice" });
    try {
      const tools = (await alice.request({ method: "tools/list", params: {} })) as Result;
      // A public backend list, but the gateway answers per caller: private.
      expect(tools.cacheScope).toBe("private");
      const round = (await alice.request(
        { method: "tools/call", params: { name: "modern-a_ask", arguments: {} } },
        { allowInputRequired: true },
      )) as Result;
      expect(round.resultType).toBe("input_required");
      expect(requestState.sealed.at(-1)?.binding.owner).toEqual({
        issuer: "static",
        subject: "alice",
      });
    } finally {
      await alice.close();
    }
  });

  it("a backend call past modern.callTimeoutMs is -32004 naming the backend, and the backend call is aborted", async () => {
    const alice = await connectModernClient(gateway.url, { token: "tok-alice" });
    try {
      const late = await failure(
        alice.request({
          method: "tools/call",
          params: { name: "modern-a_wait", arguments: { key: "slow" } },
        }),
      );
      expect(late).toMatchObject({
        code: -32004,
        data: { code: "VMCP_BACKEND_UNAVAILABLE", workloadId: "modern-a" },
      });
      await waitUntil(() => backend.aborted.includes("slow"), 10_000, "the backend call aborted");
      expect(gateway.records().some((r) => r.msg === "backend call timed out")).toBe(true);
    } finally {
      await alice.close();
    }
  });
});
