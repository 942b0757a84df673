/**
 * SDK v2's `subscriptions/listen` across processes: two `createMcpHandler` replicas, each in its
 * own process, share one Redis through `MessageBusServerEventBus` over `RedisMessageBus`
 * (standalone, then a Cluster with sharded pub/sub). A listen stream on either replica gets
 * what either one publishes exactly once (the publishing replica's own stream included), again
 * after Redis restarts (with the list changes announced, since what was published meanwhile is
 * lost); the SDK's per-replica subscription bound refuses with the spec's error, and idle streams
 * get keepalive comments.
 */
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import {
  clusterPrimaries,
  type RedisCluster,
  type RedisServer,
  requireRedisServer,
  startRedisCluster,
  startRedisServer,
} from "@vmcp/redis-harness";
import { ServerEventsChannelId } from "@vmcp/session-core";
import { waitUntil } from "@vmcp/test-support";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type EventReplica, startEventReplica } from "../src/event-replica.js";
import type { NotifyCall, ReplicaError, ReplicaRedis } from "../src/event-replica-protocol.js";
import { type ListenFilter, type ListenStream, openListenStream } from "../src/listen-stream.js";

requireRedisServer();

/** Small values, so the SDK's bounds show within a test. */
const maxSubscriptions = 3;
const keepAliveMs = 150;
const probeIntervalMs = 100;
/** Bound of each wait for an event across processes, ms (generous for a busy machine). */
const WaitMs = 15_000;
const keyPrefix = "test:server-events:";

const updated = (uri: string) => `notifications/resources/updated ${uri}`;
const ListChanges = [
  "notifications/tools/list_changed",
  "notifications/prompts/list_changed",
  "notifications/resources/list_changed",
];

/** Everything, and the resource URIs the tests publish. */
function filterFor(...uris: string[]): ListenFilter {
  return {
    toolsListChanged: true,
    promptsListChanged: true,
    resourcesListChanged: true,
    resourceSubscriptions: uris,
  };
}

function startPair(redis: () => ReplicaRedis): {
  a: () => EventReplica;
  b: () => EventReplica;
  streams: ListenStream[];
} {
  let a: EventReplica | undefined;
  let b: EventReplica | undefined;
  const streams: ListenStream[] = [];
  beforeAll(async () => {
    const config = { redis: redis(), keyPrefix, maxSubscriptions, keepAliveMs, probeIntervalMs };
    [a, b] = await Promise.all([
      startEventReplica({ ...config, name: "A" }),
      startEventReplica({ ...config, name: "B" }),
    ]);
  });
  afterEach(async () => {
    for (const stream of streams.splice(0)) await stream.close();
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });
  const get = (replica: EventReplica | undefined) => {
    if (replica === undefined) throw new Error("the replicas did not start");
    return replica;
  };
  return { a: () => get(a), b: () => get(b), streams };
}

/** The spec's in-band error for one listen past `maxSubscriptions`. */
const LimitReached = { code: -32603, message: "Subscription limit reached" };

/**
 * Opens a listen stream that the file's `afterEach` closes. While the replica is still full of
 * streams an earlier test closed (the server notices a closed connection a little later), it
 * asks again.
 */
async function listen(
  streams: ListenStream[],
  replica: EventReplica,
  filter: ListenFilter,
  id: string | number = "listen-1",
): Promise<ListenStream> {
  let stream: ListenStream | undefined;
  await waitUntil(
    async () => {
      stream = await openListenStream(replica.url, filter, { id });
      streams.push(stream);
      return stream.refusal?.code !== LimitReached.code;
    },
    WaitMs,
    "a listen accepted",
    50,
  );
  if (stream === undefined) throw new Error("no listen stream");
  return stream;
}

/** Publishes `calls` then `marker` on `publisher`, and waits until every stream has the marker. */
async function exchange(
  publisher: EventReplica,
  calls: readonly NotifyCall[],
  marker: string,
  streams: readonly ListenStream[],
): Promise<void> {
  for (const call of calls) await publisher.notify(call);
  await publisher.notify({ method: "resourceUpdated", uri: marker });
  await waitUntil(
    () => streams.every((stream) => stream.kinds().includes(updated(marker))),
    WaitMs,
    `${marker} on every stream`,
  );
}

/** What `replica` reported from index `from` on, as `from:name:code`. */
function reported(replica: EventReplica, from = 0): string[] {
  return replica.errors.slice(from).map((e: ReplicaError) => `${e.from}:${e.name}:${e.code}`);
}

/** Publishes `uri` on `publisher` until it has reached every stream (proving that path is up). */
async function untilThrough(
  publisher: EventReplica,
  uri: string,
  streams: readonly ListenStream[],
): Promise<void> {
  await waitUntil(
    async () => {
      if (streams.every((stream) => stream.kinds().includes(updated(uri)))) return true;
      await publisher.notify({ method: "resourceUpdated", uri });
      return false;
    },
    WaitMs,
    `${uri} through`,
    100,
  );
}

/** Exactly once both ways: every topology runs it. */
function exactlyOnceCase(pair: ReturnType<typeof startPair>): void {
  const { a, b, streams } = pair;

  it("a stream on each replica gets what either publishes exactly once, the publisher's own stream included", async () => {
    const uris = ["file:///doc", "file:///b-done", "file:///a-done"];
    const onA = await listen(streams, a(), filterFor(...uris), "on-a");
    const onB = await listen(streams, b(), filterFor(...uris), 7);
    for (const stream of [onA, onB]) {
      expect(stream.acknowledged).toEqual(filterFor(...uris));
    }
    const errorsA = a().errors.length;
    const errorsB = b().errors.length;
    const fromB = [
      "notifications/tools/list_changed",
      "notifications/prompts/list_changed",
      "notifications/resources/list_changed",
      updated("file:///doc"),
      updated("file:///b-done"),
    ];
    await exchange(
      b(),
      [
        { method: "toolsChanged" },
        { method: "promptsChanged" },
        { method: "resourcesChanged" },
        { method: "resourceUpdated", uri: "file:///doc" },
      ],
      "file:///b-done",
      [onA, onB],
    );
    expect(onA.kinds()).toEqual(fromB);
    expect(onB.kinds()).toEqual(fromB);
    await exchange(a(), [{ method: "toolsChanged" }], "file:///a-done", [onA, onB]);
    const fromA = ["notifications/tools/list_changed", updated("file:///a-done")];
    expect(onA.kinds()).toEqual([...fromB, ...fromA]);
    expect(onB.kinds()).toEqual([...fromB, ...fromA]);
    // Each stream's frames carry its own subscription ID.
    const ids = (stream: ListenStream) =>
      new Set(
        stream.notifications.map(
          (n) =>
            (n.params._meta as Record<string, unknown>)["io.modelcontextprotocol/subscriptionId"],
        ),
      );
    expect(ids(onA)).toEqual(new Set(["on-a"]));
    expect(ids(onB)).toEqual(new Set([7]));
    expect(reported(a(), errorsA)).toEqual([]);
    expect(reported(b(), errorsB)).toEqual([]);
  });
}

/**
 * Across a Redis outage (`stop`, then `start`): every topology runs it, last, since the list
 * changes it announces may trail into the next test.
 */
function restartCase(
  pair: ReturnType<typeof startPair>,
  restart: { stop: () => Promise<void>; start: () => Promise<void> },
): void {
  const { a, b, streams } = pair;

  it("after a Redis restart: what was published meanwhile is lost, every stream is told to refetch, and delivery resumes exactly once", async () => {
    const uris = [
      "file:///lost",
      "file:///ping-a",
      "file:///ping-b",
      "file:///after-a",
      "file:///after-b",
    ];
    const onA = await listen(streams, a(), filterFor(...uris));
    const onB = await listen(streams, b(), filterFor(...uris));
    const errorsA = a().errors.length;
    const errorsB = b().errors.length;
    await restart.stop();
    await b().notify({ method: "resourceUpdated", uri: "file:///lost" });
    // B's publish fails within the bus's bound (Redis stays down until then): the event is
    // lost, and its frame number with it.
    await waitUntil(
      () =>
        b()
          .errors.slice(errorsB)
          .some(
            (e) => e.code === "VMCP_BUS_UNAVAILABLE" && e.about === "resource_updated file:///lost",
          ),
      WaitMs,
      "B's publish of file:///lost failed",
    );
    await restart.start();
    // Every replica sees the gap (B's own frames included) and announces the list changes.
    await waitUntil(
      () => [onA, onB].every((s) => ListChanges.every((kind) => s.kinds().includes(kind))),
      WaitMs,
      "the list changes announced on both streams",
    );
    await untilThrough(a(), "file:///ping-a", [onA, onB]);
    await untilThrough(b(), "file:///ping-b", [onA, onB]);
    await exchange(a(), [], "file:///after-a", [onA, onB]);
    await exchange(b(), [], "file:///after-b", [onA, onB]);
    for (const stream of [onA, onB]) {
      const kinds = stream.kinds();
      expect(kinds).not.toContain(updated("file:///lost"));
      expect(kinds.filter((kind) => kind === updated("file:///after-a"))).toHaveLength(1);
      expect(kinds.filter((kind) => kind === updated("file:///after-b"))).toHaveLength(1);
      expect(kinds.indexOf(updated("file:///after-b"))).toBeGreaterThan(
        kinds.indexOf(updated("file:///after-a")),
      );
    }
    // Only the outage was reported (A's probes may have waited it out within the bus's bound):
    // nothing dropped as undecodable, no handler error.
    for (const seen of [reported(a(), errorsA), reported(b(), errorsB)]) {
      expect(seen.filter((e) => e !== "events:BusUnavailableError:VMCP_BUS_UNAVAILABLE")).toEqual(
        [],
      );
    }
  }, 60_000);
}

describe("two createMcpHandler processes on one standalone Redis", () => {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.close();
  });
  const redis = () => {
    if (server === undefined) throw new Error("no Redis");
    return server;
  };
  const pair = startPair(() => ({ url: redis().url }));
  const { a, b, streams } = pair;
  exactlyOnceCase(pair);

  it("an SDK v2 client listening on A gets B's events once, through its notification handlers", async () => {
    const client = new Client(
      { name: "server-events-test", version: "1.0.0" },
      { versionNegotiation: { mode: "auto" } },
    );
    await client.connect(new StreamableHTTPClientTransport(new URL(a().url)));
    try {
      expect(client.getProtocolEra()).toBe("modern");
      const got: string[] = [];
      client.setNotificationHandler("notifications/tools/list_changed", () => {
        got.push("tools");
      });
      client.setNotificationHandler("notifications/resources/updated", (notification) => {
        got.push(notification.params.uri);
      });
      const subscription = await client.listen({
        toolsListChanged: true,
        resourceSubscriptions: ["file:///sdk-done"],
      });
      expect(subscription.honoredFilter).toEqual({
        toolsListChanged: true,
        resourceSubscriptions: ["file:///sdk-done"],
      });
      await b().notify({ method: "toolsChanged" });
      await b().notify({ method: "promptsChanged" }); // not asked for: filtered by the SDK
      await b().notify({ method: "resourceUpdated", uri: "file:///sdk-done" });
      await waitUntil(() => got.includes("file:///sdk-done"), WaitMs, "the SDK client's marker");
      expect(got).toEqual(["tools", "file:///sdk-done"]);
      const answer = await client.callTool({ name: "replica" });
      expect(answer.content).toEqual([{ type: "text", text: "A" }]);
      await subscription.close();
    } finally {
      await client.close();
    }
  });

  it("each replica refuses a listen past its maxSubscriptions with the spec's error, and takes one again once a stream closes", async () => {
    const open: ListenStream[] = [];
    for (let n = 0; n < maxSubscriptions; n++) {
      open.push(await listen(streams, a(), { toolsListChanged: true }, `full-${n}`));
    }
    const errorsA = a().errors.length;
    const refused = await openListenStream(a().url, { toolsListChanged: true }, { id: "one-more" });
    streams.push(refused);
    expect(refused.status).toBe(200);
    expect(refused.refusal).toEqual(LimitReached);
    expect(refused.acknowledged).toBeUndefined();
    await waitUntil(() => a().errors.length > errorsA, WaitMs, "A's refusal reported");
    expect(
      a()
        .errors.slice(errorsA)
        .map((e) => e.message),
    ).toEqual([`subscriptions/listen refused: subscription limit reached (${maxSubscriptions})`]);
    // The bound is per replica: B still takes one.
    const onB = await listen(streams, b(), { toolsListChanged: true }, "on-b");
    expect(onB.refusal).toBeUndefined();
    // A full replica still delivers to the streams it holds.
    await b().notify({ method: "toolsChanged" });
    await waitUntil(
      () => [...open, onB].every((s) => s.notifications.length === 1),
      WaitMs,
      "the event on every open stream",
    );
    // Once a stream closes, its slot is free again (the server notices the closed connection).
    await open[0]?.close();
    const again = await listen(streams, a(), { toolsListChanged: true }, "again");
    expect(again.acknowledged).toEqual({ toolsListChanged: true });
  });

  it("sends keepalive comments on idle streams every keepAliveMs", async () => {
    const onA = await listen(streams, a(), { toolsListChanged: true });
    const onB = await listen(streams, b(), { toolsListChanged: true });
    await waitUntil(() => onA.keepalives >= 3 && onB.keepalives >= 3, WaitMs, "3 keepalives each");
    expect(onA.notifications).toEqual([]);
    expect(onB.notifications).toEqual([]);
  });

  restartCase(pair, { stop: () => redis().stop(), start: () => redis().restart() });
});

describe("two createMcpHandler processes on one Redis Cluster (sharded pub/sub)", () => {
  let cluster: RedisCluster | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster({ primaries: 3 });
  });
  afterAll(async () => {
    await cluster?.close();
  });
  const nodes = () => {
    if (cluster === undefined) throw new Error("no Cluster");
    return cluster;
  };
  const pair = startPair(() => ({
    cluster: nodes().nodes.map(({ host, port }) => ({ host, port })),
  }));

  /** The harness server of the primary that owns the events channel's slot. */
  let owner: RedisServer | undefined;
  exactlyOnceCase(pair);
  restartCase(pair, {
    async stop() {
      const channel = `${keyPrefix}{${ServerEventsChannelId}}:bus`;
      const slot = Number(await nodes().servers[0]?.cli("CLUSTER", "KEYSLOT", channel));
      const primary = (await clusterPrimaries(nodes())).find((node) =>
        node.slots.some(([first, last]) => first <= slot && slot <= last),
      );
      owner = primary?.server;
      if (owner === undefined) throw new Error(`no harness primary serves slot ${slot}`);
      await owner.stop();
    },
    async start() {
      await owner?.restart();
      await nodes().waitForOk();
    },
  });
});
