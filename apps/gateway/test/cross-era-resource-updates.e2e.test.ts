/**
 * A 2025-era client subscribes to a modern backend's resource: two gateway replicas on one real
 * Redis (store and message bus), behind the round-robin proxy, in front of a modern-only SDK v2
 * backend declaring `resources.subscribe`, whose `<id>_change` tool (kind `resource`) announces
 * an update of a URI to the listen streams that follow it. SDK v1 clients; requests alternate
 * between the replicas and the GET stream sits on the other replica from the subscribe.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { type RedisServer, startRedisServer } from "@vmcp/redis-harness";
import { waitUntil } from "@vmcp/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LoggedGateway, startLoggedGateway } from "./helpers/in-process.js";
import { type ModernBackendFixture, startModernBackend } from "./helpers/modern-backends.js";
import { connectModernClient } from "./helpers/modern-client.js";
import { type RoundRobinProxy, startRoundRobinProxy } from "./helpers/round-robin-proxy.js";

const BindingSecret = "cross-era-resource-updates-binding-secret";
const Readme = "modern-r://readme";
const MaxUris = 3;
/** Live sessions close their backend connections after this idle time, ms. */
const IdleMs = 2_500;
const Tokens = Object.fromEntries(
  ["alice", "bob", "carol", "dave", "erin"].map((s) => [
    `tok-${s}`,
    { issuer: "static", subject: s },
  ]),
);

/** A 2025-era client through the proxy, and the URIs of the updates it heard, in order. */
interface Subscriber {
  readonly client: Client;
  readonly transport: StreamableHTTPClientTransport;
  readonly heard: string[];
}

describe("resources/subscribe from a 2025-era session to a modern backend, two replicas on Redis", () => {
  let redis: RedisServer;
  let modern: ModernBackendFixture;
  const gateways: LoggedGateway[] = [];
  let proxy: RoundRobinProxy;
  const closing: { close(): Promise<void> }[] = [];

  const connect = async (token: string): Promise<Subscriber> => {
    const transport = new StreamableHTTPClientTransport(new URL(`${proxy.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    });
    const client = new Client({ name: "resource-updates-2025", version: "1.0.0" });
    closing.push(client);
    const heard: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      heard.push(n.params.uri);
    });
    await client.connect(transport);
    return { client, transport, heard };
  };
  const update = (s: Subscriber, uri: string) =>
    s.client.callTool({ name: "modern-r_change", arguments: { kind: "resource", uri } });
  /** Waits until the GET stream of the session is open (on the replica the router chose). */
  const getStreamOpen = (count: number) =>
    waitUntil(
      () => proxy.requests.filter((r) => r.httpMethod === "GET").length >= count,
      5_000,
      "the GET stream opened",
    );
  const settle = (ms = 300) => new Promise((r) => setTimeout(r, ms));

  beforeAll(async () => {
    [redis, modern] = await Promise.all([
      startRedisServer(),
      startModernBackend("modern-r", { legacy: "reject", changes: true }),
    ]);
    for (let i = 0; i < 2; i++) {
      gateways.push(
        await startLoggedGateway({
          store: { kind: "redis", url: redis.url },
          bindingSecret: BindingSecret,
          identity: { kind: "static", tokens: Tokens },
          backendRetryInitialDelayMs: 50,
          backendRetryMaxDelayMs: 200,
          idleTimeoutMs: IdleMs,
          modern: { maxResourceSubscriptions: MaxUris },
          backends: [{ workloadId: "modern-r", url: modern.url }],
        }),
      );
    }
    proxy = await startRoundRobinProxy(gateways.map((g) => g.url));
  });

  afterAll(async () => {
    await Promise.all(closing.map((c) => c.close().catch(() => undefined)));
    await proxy?.close();
    for (const gateway of gateways) await gateway.close();
    await modern?.close();
    await redis?.close();
  });

  it("declares resources.subscribe, and delivers the backend's update on the GET stream on the other replica, once; unsubscribed, nothing more", async () => {
    // POSTs alternate; the GET stream goes to replica 1, the subscribe to replica 0.
    let posts = 0;
    proxy.setRouter(({ httpMethod, rpc }) => {
      if (httpMethod === "GET") return 1;
      if (rpc === "resources/subscribe") return 0;
      return posts++ % 2;
    });
    const alice = await connect("tok-alice");
    expect(alice.client.getServerCapabilities()?.resources?.subscribe).toBe(true);
    await getStreamOpen(1);
    await alice.client.subscribeResource({ uri: Readme });
    await waitUntil(() => modern.listenedUris().includes(Readme), 5_000, "the URI followed");

    await update(alice, Readme);
    await waitUntil(() => alice.heard.length >= 1, 5_000, "resources/updated on the GET stream");
    // An update of another URI is not this session's.
    await update(alice, "modern-r://items/other");
    await settle();
    // Each replica that follows the URI tells the session at most once per update (replica 1
    // follows it from its first request after the subscribe).
    expect(alice.heard.length).toBeLessThanOrEqual(2);
    expect(alice.heard.every((u) => u === Readme)).toBe(true);

    await alice.client.unsubscribeResource({ uri: Readme });
    // Both replicas' next requests see the record without it.
    await alice.client.listTools();
    await alice.client.listTools();
    await waitUntil(() => !modern.listenedUris().includes(Readme), 5_000, "the URI dropped");
    const heardBefore = alice.heard.length;
    await update(alice, Readme);
    await settle();
    expect(alice.heard).toHaveLength(heardBefore);
    proxy.setRouter(undefined);
  });

  it("releases the followed URI when the session ends on both replicas that followed it (the other one when its copy closes as idle)", async () => {
    const bob = await connect("tok-bob");
    const uri = "modern-r://items/bob";
    await bob.client.subscribeResource({ uri });
    // The next requests land on both replicas: each follows the stored subscription.
    await bob.client.listTools();
    await bob.client.listTools();
    await waitUntil(() => modern.listenedUris().includes(uri), 5_000, "the URI followed");
    await bob.transport.terminateSession();
    await bob.client.close();
    await waitUntil(() => !modern.listenedUris().includes(uri), IdleMs * 4, "the URI released");
  });

  it("releases the followed URI at once when the only replica that holds the session ends it", async () => {
    proxy.setRouter(() => 0);
    const erin = await connect("tok-erin");
    const uri = "modern-r://items/erin";
    await erin.client.subscribeResource({ uri });
    await waitUntil(() => modern.listenedUris().includes(uri), 5_000, "the URI followed");
    const started = performance.now();
    await erin.transport.terminateSession();
    await waitUntil(() => !modern.listenedUris().includes(uri), 5_000, "the URI released");
    // Well before an idle close could have done it.
    expect(performance.now() - started).toBeLessThan(IdleMs);
    proxy.setRouter(undefined);
  });

  it("refuses a subscription past modern.maxResourceSubscriptions with a typed JSON-RPC error", async () => {
    proxy.setRouter(({ httpMethod }) => (httpMethod === "GET" ? 1 : 0));
    const carol = await connect("tok-carol");
    for (let i = 0; i < MaxUris; i++) {
      await carol.client.subscribeResource({ uri: `modern-r://items/c${i}` });
    }
    const refused = await carol.client
      .subscribeResource({ uri: "modern-r://items/one-too-many" })
      .then(
        () => undefined,
        (error: unknown) => error as { code?: number; data?: { code?: string } },
      );
    expect(refused?.code).toBe(-32005);
    expect(refused?.data?.code).toBe("VMCP_TOO_MANY_RESOURCE_SUBSCRIPTIONS");
    // A URI already followed still subscribes.
    await carol.client.subscribeResource({ uri: "modern-r://items/c0" });
    for (let i = 0; i < MaxUris; i++) {
      await carol.client.unsubscribeResource({ uri: `modern-r://items/c${i}` });
    }
    await carol.transport.terminateSession();
    proxy.setRouter(undefined);
  });

  it("keeps delivering after the replica that took the subscribe stops: the survivor follows the stored subscription as the GET stream moves there", async () => {
    const uri = "modern-r://items/dave";
    // Everything on replica 0 at first: replica 1 has never seen the session.
    proxy.setRouter(() => 0);
    const dave = await connect("tok-dave");
    await dave.client.subscribeResource({ uri });
    await update(dave, uri);
    await waitUntil(() => dave.heard.length >= 1, 5_000, "the update through replica 0");

    const from = proxy.requests.length;
    proxy.setDown(0, true);
    proxy.setRouter(undefined);
    await (gateways[0] as LoggedGateway).close();
    // The client's GET stream reconnects to replica 1 on its own; opening it restores the session
    // there, and the restore follows the stored subscription. No request of the client's is
    // needed: the update comes from the backend itself, not through the gateway.
    await waitUntil(
      () =>
        proxy.requests
          .slice(from)
          .some((r) => r.httpMethod === "GET" && r.replica === 1 && r.status === 200 && !r.closed),
      10_000,
      "the GET stream on replica 1",
    );
    const direct = await connectModernClient(modern.url.replace(/\/mcp$/, ""));
    closing.push(direct);
    const before = dave.heard.length;
    await waitUntil(
      async () => {
        // The survivor's listen may take a moment to follow the URI: announce until heard.
        await direct.callTool({ name: "modern-r_change", arguments: { kind: "resource", uri } });
        return dave.heard.length > before;
      },
      5_000,
      "the update through replica 1",
      200,
    );
    expect(
      proxy.requests.slice(from).filter((r) => r.httpMethod === "POST"),
      "no request of the client's reached the survivor before the update",
    ).toEqual([]);
    expect(dave.heard.every((u) => u === uri)).toBe(true);
    // Its requests are served there too, and an update they cause arrives as well.
    const after = dave.heard.length;
    await update(dave, uri);
    await waitUntil(() => dave.heard.length > after, 5_000, "an update caused through replica 1");
  });
});
