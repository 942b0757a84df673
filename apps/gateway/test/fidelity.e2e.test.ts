import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  CallToolResultSchema,
  type ClientCapabilities,
  ListToolsResultSchema,
  McpError,
  ResultSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { waitUntil } from "@vmcp/redis-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CursorCodec } from "../dist/http/routing/cursor.js";
import {
  AtlasPageSize,
  type FeatureBackend,
  startAtlas,
  startBravo,
} from "./helpers/feature-backends.js";
import { type LoggedGateway, startLoggedGateway } from "./helpers/in-process.js";
import { rawPost } from "./helpers/mcp-client.js";

const secret = "fidelity-binding-secret-0123456789";
const clientCapabilities: ClientCapabilities = {
  sampling: {},
  elicitation: { form: {}, url: {} },
  roots: { listChanged: true },
};

async function connect(url: string, sessionId?: string) {
  const transport = new StreamableHTTPClientTransport(
    new URL(url.endsWith("/mcp") ? url : `${url}/mcp`),
    sessionId === undefined ? {} : { sessionId },
  );
  const client = new Client(
    { name: "fidelity", version: "1.0.0" },
    { capabilities: clientCapabilities },
  );
  await client.connect(transport);
  return { client, transport, sessionId: transport.sessionId ?? "" };
}

/** Every tool name over every page, and how many pages it took. */
async function allTools(client: Client): Promise<{ names: string[]; pages: number }> {
  const names: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await client.listTools(cursor === undefined ? {} : { cursor });
    pages++;
    names.push(...page.tools.map((t) => t.name));
    cursor = page.nextCursor;
  } while (cursor !== undefined && pages < 50);
  return { names, pages };
}

async function rpcError(promise: Promise<unknown>): Promise<McpError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof McpError) return error;
    throw error;
  }
  throw new Error("expected a JSON-RPC error");
}

function text(result: { contents?: unknown; content?: unknown }): string {
  const items = (result.contents ?? result.content) as Array<{ text?: string }>;
  return items.map((i) => i.text ?? "").join("");
}

describe("everything a backend offers reaches the client (one gateway, memory store)", () => {
  let atlas: FeatureBackend;
  let bravo: FeatureBackend;
  let gw: LoggedGateway;

  beforeAll(async () => {
    [atlas, bravo] = await Promise.all([startAtlas(), startBravo()]);
    gw = await startLoggedGateway({
      bindingSecret: secret,
      backends: [
        { workloadId: "atlas", url: atlas.url },
        { workloadId: "bravo", url: bravo.url },
      ],
    });
  });
  afterAll(async () => {
    await gw?.close();
    await Promise.all([atlas?.close(), bravo?.close()]);
  });

  it("initialize declares the backends' capabilities, keeps each one's instructions and declares the client's capabilities to them", async () => {
    const before = atlas.state.clientCapabilities.length;
    const { client } = await connect(gw.url);
    // listChanged where a backend declares it: the gateway relays it on the GET stream.
    expect(client.getServerCapabilities()).toEqual({
      tools: { listChanged: true },
      prompts: { listChanged: true },
      resources: { subscribe: true, listChanged: true },
      logging: {},
      completions: {},
      tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } },
    });
    const instructions = client.getInstructions() ?? "";
    expect(instructions).toContain("## atlas\nAtlas: ask it for maps.");
    expect(instructions).toContain("## bravo\nBravo: long sums run as tasks.");
    // One initialize of the session's, declaring the client's capabilities; the gateway's era
    // probe of a backend it has no verdict for (once per verdict TTL) declares none.
    const declared = atlas.state.clientCapabilities.slice(before);
    expect(declared.filter((c) => Object.keys(c).length > 0)).toHaveLength(1);
    expect(atlas.state.clientCapabilities.at(-1)).toMatchObject(clientCapabilities);
    expect(bravo.state.clientCapabilities.at(-1)).toMatchObject(clientCapabilities);
    await client.close();
  });

  it("tools/list pages through every backend's pages: the same tools as directly, one page per backend page", async () => {
    const { client } = await connect(gw.url);
    const direct = await connect(atlas.url);
    const atlasDirect = await allTools(direct.client);
    const viaGateway = await allTools(client);
    expect(atlasDirect.pages).toBe(3);
    // atlas's 6 tools come in pages of 2 (its last page shares the gateway page with bravo's one page).
    expect(viaGateway.pages).toBe(3);
    const first = await client.listTools();
    expect(first.tools).toHaveLength(AtlasPageSize);
    expect(first.nextCursor).toBeTypeOf("string");
    expect(viaGateway.names.sort()).toEqual(
      ["atlas__echo", "bravo__echo", "a1", "a2", "a3", "a4", "slow-sum", "hold", "wait"].sort(),
    );
    // a tool found on a later page is callable by its exposed name
    const called = await client.callTool({ name: "atlas__echo", arguments: { text: "hi" } });
    expect(text(called as { content: unknown })).toBe("atlas:hi");
    await Promise.all([client.close(), direct.client.close()]);
  });

  it("a forged, foreign-session, other-list or stale cursor is -32602, never a restart", async () => {
    const a = await connect(gw.url);
    const b = await connect(gw.url);
    const first = await a.client.listTools();
    const cursor = first.nextCursor as string;
    const forged = `${cursor.slice(0, -2)}xx`;
    for (const bad of [forged, "garbage", "", `${cursor}.x`]) {
      const error = await rpcError(a.client.listTools({ cursor: bad }));
      expect(error.code, bad).toBe(-32602);
    }
    const foreign = await rpcError(b.client.listTools({ cursor }));
    expect(foreign.code).toBe(-32602);
    const otherList = await rpcError(a.client.listPrompts({ cursor }));
    expect(otherList.code).toBe(-32602);
    expect(otherList.message).toMatch(/tools\/list/);
    const stale = new CursorCodec(secret).encode(a.sessionId, {
      list: "tools/list",
      workloadId: "gone",
    });
    const staleError = await rpcError(a.client.listTools({ cursor: stale }));
    expect(staleError.code).toBe(-32602);
    expect(staleError.message).toMatch(/no longer in the session/);
    // the good cursor still works
    const second = await a.client.listTools({ cursor });
    expect(second.tools.map((t) => t.name)).toEqual(["a1", "a2"]);
    await Promise.all([a.client.close(), b.client.close()]);
  });

  it("completion/complete is routed by prompt name and by resource template, with the backend's own answers", async () => {
    const { client } = await connect(gw.url);
    const direct = await connect(atlas.url);
    const byPrompt = {
      ref: { type: "ref/prompt" as const, name: "greet" },
      argument: { name: "name", value: "al" },
    };
    const byTemplate = {
      ref: { type: "ref/resource" as const, uri: "atlas://maps/{region}" },
      argument: { name: "region", value: "no" },
    };
    expect(await client.complete(byPrompt)).toEqual(await direct.client.complete(byPrompt));
    expect((await client.complete(byPrompt)).completion.values).toEqual(["alice", "albert"]);
    expect(await client.complete(byTemplate)).toEqual(await direct.client.complete(byTemplate));
    expect((await client.complete(byTemplate)).completion.values).toEqual(["north", "nowhere"]);
    const unknown = await rpcError(
      client.complete({
        ref: { type: "ref/prompt", name: "nope" },
        argument: { name: "x", value: "" },
      }),
    );
    expect(unknown.code).toBe(-32602);
    await Promise.all([client.close(), direct.client.close()]);
  });

  it("resources/templates/list is aggregated; a templated URI is read from its backend; two matching backends: the first by workload ID", async () => {
    const { client } = await connect(gw.url);
    const templates = await client.listResourceTemplates();
    expect(templates.resourceTemplates.map((t) => t.uriTemplate).sort()).toEqual(
      ["atlas://maps/{region}", "shared://{id}", "shared://{id}"].sort(),
    );
    expect(text(await client.readResource({ uri: "atlas://maps/south" }))).toBe("map of south");
    expect(text(await client.readResource({ uri: "shared://7" }))).toBe("atlas 7");
    expect(text(await client.readResource({ uri: "bravo://status" }))).toBe("bravo ok");
    const unknown = await rpcError(client.readResource({ uri: "nowhere://x" }));
    expect(unknown.code).toBe(-32602);
    await client.close();
  });

  it("logging/setLevel goes to every backend with logging and is stored in the session", async () => {
    const { client, sessionId } = await connect(gw.url);
    const before = atlas.state.levels.length;
    await client.setLoggingLevel("warning");
    expect(atlas.state.levels.slice(before)).toEqual(["warning"]);
    expect(bravo.state.levels).toEqual([]);
    const stored = await gw.gateway.storage.load(sessionId);
    expect(stored?.metadata["vmcp.logging.level"]).toBe("warning");
    await client.close();
  });

  it("resources/subscribe and unsubscribe go to the owning backend and are stored; a backend without subscriptions refuses", async () => {
    const { client, sessionId } = await connect(gw.url);
    const before = atlas.state.subscriptions.length;
    await client.subscribeResource({ uri: "atlas://readme" });
    await client.subscribeResource({ uri: "atlas://maps/north" });
    let stored = await gw.gateway.storage.load(sessionId);
    expect(stored?.metadata["vmcp.subscription.atlas%3A%2F%2Freadme"]).toBe("atlas");
    await client.unsubscribeResource({ uri: "atlas://readme" });
    expect(atlas.state.subscriptions.slice(before)).toEqual([
      "+atlas://readme",
      "+atlas://maps/north",
      "-atlas://readme",
    ]);
    stored = await gw.gateway.storage.load(sessionId);
    expect(stored?.metadata["vmcp.subscription.atlas%3A%2F%2Freadme"]).toBeUndefined();
    expect(stored?.metadata["vmcp.subscription.atlas%3A%2F%2Fmaps%2Fnorth"]).toBe("atlas");
    const refused = await rpcError(client.subscribeResource({ uri: "bravo://status" }));
    expect(refused.code).toBe(-32601);
    await client.close();
  });

  it("params._meta reaches the backend unchanged", async () => {
    const { client } = await connect(gw.url);
    const meta = { progressToken: "p-1", "example.com/trace": { id: 7 } };
    await client.request(
      {
        method: "tools/call",
        params: { name: "atlas__echo", arguments: { text: "m" }, _meta: meta },
      },
      CallToolResultSchema,
    );
    expect(atlas.state.metas.at(-1)).toEqual(meta);
    await client.close();
  });

  it("a task-augmented tools/call makes a task on its backend; tasks/get, result and list are routed by the stored route", async () => {
    const { client, sessionId } = await connect(gw.url);
    const created = await client.request(
      {
        method: "tools/call",
        params: { name: "slow-sum", arguments: { a: 2, b: 3 }, task: { ttl: 60_000 } },
      },
      ResultSchema,
    );
    const taskId = (created.task as { taskId: string }).taskId;
    expect(taskId).toBeTypeOf("string");
    const stored = await gw.gateway.storage.load(sessionId);
    expect(stored?.metadata[`vmcp.task.${encodeURIComponent(taskId)}`]).toBe("bravo");
    await waitUntil(
      "the task to complete",
      async () => {
        const task = await client.request(
          { method: "tasks/get", params: { taskId } },
          ResultSchema,
        );
        return task.status === "completed";
      },
      10_000,
    );
    const result = await client.request(
      { method: "tasks/result", params: { taskId } },
      CallToolResultSchema,
    );
    expect(text(result)).toBe("5");
    const listed = await client.request({ method: "tasks/list", params: {} }, ResultSchema);
    expect((listed.tasks as Array<{ taskId: string }>).map((t) => t.taskId)).toContain(taskId);
    const unknown = await rpcError(
      client.request({ method: "tasks/get", params: { taskId: "nope" } }, ResultSchema),
    );
    expect(unknown.code).toBe(-32602);
    await client.close();
  });

  it("tasks/cancel goes to the task's backend", async () => {
    const { client } = await connect(gw.url);
    const created = await client.request(
      { method: "tools/call", params: { name: "hold", task: { ttl: 60_000 } } },
      ResultSchema,
    );
    const taskId = (created.task as { taskId: string }).taskId;
    const cancelled = await client.request(
      { method: "tasks/cancel", params: { taskId } },
      ResultSchema,
    );
    expect(cancelled.status).toBe("cancelled");
    const got = await client.request({ method: "tasks/get", params: { taskId } }, ResultSchema);
    expect(got.status).toBe("cancelled");
    await client.close();
  });

  it("notifications/cancelled from the client cancels the backend request it names", async () => {
    const { client } = await connect(gw.url);
    const before = atlas.state.events.length;
    const abort = new AbortController();
    const call = client.callTool({ name: "wait" }, undefined, { signal: abort.signal });
    await waitUntil(
      "the backend to start the call",
      async () => atlas.state.events.slice(before).includes("wait:started"),
      10_000,
    );
    abort.abort("enough");
    await expect(call).rejects.toThrow();
    await waitUntil(
      "the backend to see the cancellation",
      async () => atlas.state.events.slice(before).includes("wait:aborted"),
      10_000,
    );
    expect(atlas.state.events.slice(before)).toEqual(["wait:started", "wait:aborted"]);
    await client.close();
  });

  it("ping is answered, notifications are accepted with 202, an unknown method is -32601", async () => {
    const { client, sessionId } = await connect(gw.url);
    expect(await client.ping()).toEqual({});
    const headers = { "mcp-session-id": sessionId };
    for (const method of ["notifications/initialized", "notifications/cancelled"]) {
      const reply = await rawPost(
        gw.url,
        JSON.stringify({ jsonrpc: "2.0", method, params: { requestId: 1 } }),
        headers,
      );
      expect(reply.status, method).toBe(202);
    }
    const unknown = await rpcError(
      client.request({ method: "nope/nothing", params: {} }, ResultSchema),
    );
    expect(unknown.code).toBe(-32601);
    const badParams = await rawPost(
      gw.url,
      JSON.stringify({ jsonrpc: "2.0", id: 5, method: "tools/list", params: [1] }),
      headers,
    );
    expect(badParams.body).toMatchObject({ id: 5, error: { code: -32602 } });
    // the page contents are the SDK's list shape
    expect(ListToolsResultSchema.safeParse(await client.listTools()).success).toBe(true);
    await client.close();
  });
});

describe("a gateway declares and serves nothing its backends lack", () => {
  let bravo: FeatureBackend;
  let gw: LoggedGateway;

  beforeAll(async () => {
    bravo = await startBravo();
    gw = await startLoggedGateway({ backends: [{ workloadId: "bravo", url: bravo.url }] });
  });
  afterAll(async () => {
    await gw?.close();
    await bravo?.close();
  });

  it("no logging, completions, prompts or subscriptions are declared; asking for them is refused", async () => {
    const { client } = await connect(gw.url);
    expect(client.getServerCapabilities()).toEqual({
      tools: { listChanged: true },
      resources: { listChanged: true },
      tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } },
    });
    expect((await rpcError(client.setLoggingLevel("debug"))).code).toBe(-32601);
    expect((await rpcError(client.subscribeResource({ uri: "bravo://status" }))).code).toBe(-32601);
    const badRefs: unknown[] = [undefined, "x", { type: "ref/other" }, { type: "ref/prompt" }];
    for (const ref of badRefs) {
      const error = await rpcError(
        client.request(
          { method: "completion/complete", params: { ref, argument: { name: "a", value: "" } } },
          ResultSchema,
        ),
      );
      expect(error.code, JSON.stringify(ref)).toBe(-32602);
    }
    expect(bravo.state.levels).toEqual([]);
    expect(bravo.state.subscriptions).toEqual([]);
    await client.close();
  });

  it("a task of one session is unknown to another", async () => {
    const one = await connect(gw.url);
    const other = await connect(gw.url);
    const created = await one.client.request(
      {
        method: "tools/call",
        params: { name: "slow-sum", arguments: { a: 1, b: 1 }, task: { ttl: 60_000 } },
      },
      ResultSchema,
    );
    const taskId = (created.task as { taskId: string }).taskId;
    const refused = await rpcError(
      other.client.request({ method: "tasks/get", params: { taskId } }, ResultSchema),
    );
    expect(refused.code).toBe(-32602);
    await Promise.all([one.client.close(), other.client.close()]);
  });
});
