import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { InProcessMessageBus, MemoryStorage } from "@vmcp/store-memory";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateGatewayConfig } from "../dist/config/load-config.js";
import { type RunningGateway, startGateway } from "../dist/gateway.js";
import { createLogger } from "../dist/logger.js";
import { waitFor } from "./helpers/in-process.js";
import { type RelayBackend, startRelayBackend } from "./helpers/relay-backends.js";

const secret = "standalone-stream-binding-secret-12345";

async function startReplica(
  raw: Record<string, unknown>,
  shared: { bus: InProcessMessageBus; storage: MemoryStorage },
): Promise<RunningGateway> {
  const config = validateGatewayConfig({
    port: 0,
    logLevel: "warn",
    bindingSecret: secret,
    ...raw,
  });
  return startGateway(
    config,
    createLogger(config.logLevel, { destination: { write: () => undefined } }),
    shared,
  );
}

/** What a client saw on its GET stream. */
interface Notes {
  readonly methods: string[];
  readonly updated: string[];
}

/**
 * A real SDK client whose requests go to `urls` in turn (one URL: one gateway), recording the
 * unsolicited notifications it receives; resolves once its GET stream is open.
 */
async function connectListener(urls: readonly string[]) {
  const notes: Notes = { methods: [], updated: [] };
  let turn = 0;
  let streams = 0;
  const transport = new StreamableHTTPClientTransport(new URL(`${urls[0]}/mcp`), {
    fetch: async (input, init) => {
      const url = new URL(String(input instanceof Request ? input.url : input));
      const response = await fetch(`${urls[turn++ % urls.length]}${url.pathname}`, init);
      if ((init?.method ?? "GET") === "GET" && response.ok) streams++;
      return response;
    },
  });
  const client = new Client({ name: "listener", version: "1.0.0" });
  client.setNotificationHandler(ToolListChangedNotificationSchema, (n) => {
    notes.methods.push(n.method);
  });
  client.setNotificationHandler(ResourceListChangedNotificationSchema, (n) => {
    notes.methods.push(n.method);
  });
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
    notes.methods.push(n.method);
    notes.updated.push(n.params.uri);
  });
  await client.connect(transport);
  await waitFor("the client's GET stream opened", () => streams > 0);
  return { client, notes, transport, streams: () => streams };
}

/** Sends `list_changed` (and a resource update) from every live backend session of `backends`. */
async function backendsChange(backends: readonly RelayBackend[], uri?: string): Promise<void> {
  for (const b of backends) {
    for (const server of b.servers.values()) {
      server.sendToolListChanged();
      server.sendResourceListChanged();
      if (uri !== undefined) await server.server.sendResourceUpdated({ uri });
    }
  }
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A raw `GET /mcp` reading its body as it comes. */
async function rawStream(url: string, sessionId: string) {
  const controller = new AbortController();
  const response = await fetch(`${url}/mcp`, {
    headers: { accept: "text/event-stream", "mcp-session-id": sessionId },
    signal: controller.signal,
  });
  let text = "";
  let ended = false;
  const reading = (async () => {
    const reader = response.body?.getReader();
    if (reader === undefined) return;
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
    } catch {
      // aborted
    }
    ended = true;
  })();
  return {
    status: response.status,
    headers: response.headers,
    text: () => text,
    ended: () => ended,
    close: async () => {
      controller.abort();
      await reading;
    },
  };
}

describe("GET /mcp: the standalone stream", () => {
  let hb1: RelayBackend;
  let hb2: RelayBackend;
  let bus: InProcessMessageBus;
  let storage: MemoryStorage;
  let one: RunningGateway;
  let two: RunningGateway;

  beforeAll(async () => {
    [hb1, hb2] = await Promise.all([startRelayBackend("hb1"), startRelayBackend("hb2")]);
    bus = new InProcessMessageBus();
    storage = new MemoryStorage();
    const raw = {
      backends: [
        { workloadId: "hb1", url: hb1.url },
        { workloadId: "hb2", url: hb2.url },
      ],
      limits: { streamHeartbeatMs: 200 },
    };
    [one, two] = await Promise.all([
      startReplica(raw, { bus, storage }),
      startReplica(raw, { bus, storage }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([one?.close(), two?.close()]);
    await Promise.all([hb1?.close(), hb2?.close()]);
    await bus?.close();
    await storage?.close();
  });

  it("one gateway: list_changed of two backends arrives once per kind, and a subscribed resource's update arrives", async () => {
    const { client, notes } = await connectListener([one.url]);
    expect(client.getServerCapabilities()?.tools?.listChanged).toBe(true);
    await client.subscribeResource({ uri: "relay://hb1/doc" });
    await backendsChange([hb1, hb2], "relay://hb1/doc");
    await waitFor("the notifications arrived", () => notes.methods.length >= 3);
    await settle(300);
    expect(notes.methods.filter((m) => m === "notifications/tools/list_changed")).toHaveLength(1);
    expect(notes.methods.filter((m) => m === "notifications/resources/list_changed")).toHaveLength(
      1,
    );
    expect(notes.updated).toContain("relay://hb1/doc");
    await client.close();
  });

  it("two replicas: notifications reach the client's stream on one replica from the backend connections on the other", async () => {
    // initialize and notifications/initialized go to replica one (which connects the backends and
    // holds their GET streams), the client's GET stream to replica two, then requests alternate.
    const { client, notes } = await connectListener([one.url, one.url, two.url]);
    await client.listTools();
    await client.subscribeResource({ uri: "relay://hb2/doc" });
    await backendsChange([hb1, hb2], "relay://hb2/doc");
    await waitFor(
      "the notifications arrived",
      () => notes.updated.length >= 1 && notes.methods.length >= 3,
    );
    await settle(300);
    expect(notes.methods.filter((m) => m === "notifications/tools/list_changed")).toHaveLength(1);
    expect(notes.updated).toContain("relay://hb2/doc");
    await client.close();
  });

  it("at most one stream per session on a replica (409); a newer one on another replica ends the older", async () => {
    const { client, transport } = await connectListener([one.url]);
    const sessionId = transport.sessionId as string;
    await client.close(); // its own GET stream goes (once the replica sees it close); the session stays
    let older = await rawStream(one.url, sessionId);
    for (let i = 0; older.status === 409 && i < 50; i++) {
      await older.close();
      await settle(100);
      older = await rawStream(one.url, sessionId);
    }
    expect(older.status).toBe(200);
    const second = await fetch(`${one.url}/mcp`, {
      headers: { accept: "text/event-stream", "mcp-session-id": sessionId },
    });
    expect(second.status).toBe(409);
    expect(((await second.json()) as { error: { data: { code: string } } }).error.data.code).toBe(
      "VMCP_STREAM_CONFLICT",
    );
    const newer = await rawStream(two.url, sessionId);
    expect(newer.status).toBe(200);
    await waitFor("the older stream ended", () => older.ended());
    expect(newer.ended()).toBe(false);
    await Promise.all([older.close(), newer.close()]);
  });

  it("sends heartbeat comments with a retry field, and ends when the session is deleted on another replica", async () => {
    const { client, transport } = await connectListener([two.url]);
    const sessionId = transport.sessionId as string;
    await client.close(); // its own GET stream goes; the session stays
    const stream = await rawStream(one.url, sessionId);
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toBe("text/event-stream");
    await waitFor("two heartbeats", () => stream.text().split(": heartbeat").length > 2);
    expect(stream.text().startsWith("retry: ")).toBe(true);
    const deleted = await fetch(`${two.url}/mcp`, {
      method: "DELETE",
      headers: { "mcp-session-id": sessionId },
    });
    expect(deleted.status).toBe(200);
    await waitFor("the stream ended", () => stream.ended());
    await stream.close();
  });

  it("a session restored on a replica that never saw it keeps receiving list_changed (the reattached backend connection opens its GET stream)", async () => {
    const shared = { bus: new InProcessMessageBus(), storage: new MemoryStorage() };
    const raw = { backends: [{ workloadId: "hb1", url: hb1.url }] };
    const first = await startReplica(raw, shared);
    const { client, transport } = await connectListener([first.url]);
    const sessionId = transport.sessionId as string;
    await client.close();
    await first.close(); // its backend connection and GET stream to the backend go with it
    const second = await startReplica(raw, shared);
    try {
      const stream = await rawStream(second.url, sessionId); // restores the session
      expect(stream.status).toBe(200);
      await settle(300); // the reattached connection opens its own GET stream to the backend
      await backendsChange([hb1]);
      await waitFor("list_changed arrived on the restored session", () =>
        stream.text().includes("notifications/tools/list_changed"),
      );
      await stream.close();
    } finally {
      await second.close();
      await shared.bus.close();
      await shared.storage.close();
    }
  });

  it("a replica shutting down ends its GET streams first, so they do not hold up the drain", async () => {
    const shared = { bus: new InProcessMessageBus(), storage: new MemoryStorage() };
    // A drain bound far beyond this test's own timeout: only ending the streams lets close() finish.
    const replica = await startReplica(
      { backends: [{ workloadId: "hb1", url: hb1.url }], shutdownTimeoutMs: 300_000 },
      shared,
    );
    try {
      const { client, transport } = await connectListener([replica.url]);
      const sessionId = transport.sessionId as string;
      await client.close();
      let stream = await rawStream(replica.url, sessionId);
      for (let i = 0; stream.status === 409 && i < 50; i++) {
        await stream.close();
        await settle(100);
        stream = await rawStream(replica.url, sessionId);
      }
      expect(stream.status).toBe(200);
      await replica.close();
      await waitFor("the stream ended", () => stream.ended());
      await stream.close();
    } finally {
      await replica.close();
      await shared.bus.close();
      await shared.storage.close();
    }
  }, 30_000);

  it("an open GET stream keeps its session live: a listener that sends no request is not evicted as idle and keeps its notifications", async () => {
    const shared = { bus: new InProcessMessageBus(), storage: new MemoryStorage() };
    const replica = await startReplica(
      {
        backends: [{ workloadId: "hb1", url: hb1.url }],
        idleTimeoutMs: 400,
        limits: { streamHeartbeatMs: 100 },
      },
      shared,
    );
    try {
      const { client, notes } = await connectListener([replica.url]);
      await settle(1_500); // several idle timeouts, no request
      await backendsChange([hb1]);
      await waitFor("list_changed reached the listener", () =>
        notes.methods.includes("notifications/tools/list_changed"),
      );
      await client.close();
    } finally {
      await replica.close();
      await shared.bus.close();
      await shared.storage.close();
    }
  });
});
