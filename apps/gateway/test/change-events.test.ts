/**
 * The parts that carry backend changes across protocol eras, each on its own: the replica's
 * `BackendChangeFeed` (and `holdWhileWatched`), `CoalescedChanges` (a 2025-era backend's changes
 * folded per window before they are published), `PooledMessages` (a pooled session's change
 * notifications become listen events) and `StatelessConnection` (a modern backend's change
 * reaches its 2025-era session as the backend's `list_changed`, and its `listChanged` is declared),
 * `ResourceUpdateFeed` (a modern backend's resource updates, to the sessions that follow the URI)
 * and `StatelessConnection`'s `resources/subscribe` through that feed.
 */
import type { ServerEvent } from "@modelcontextprotocol/server";
import type { BackendMessage, BackendMessageOrigin } from "@vmcp/session-core";
import { describe, expect, it } from "vitest";
import {
  BackendChangeFeed,
  type ChangedList,
  holdWhileWatched,
} from "../dist/http/change-events/backend-change-feed.js";
import { ResourceUpdateFeed } from "../dist/http/change-events/resource-update-feed.js";
import { CoalescedChanges } from "../dist/http/mcp-2026-07-28/listen/coalesced-changes.js";
import {
  dispatchBackendMessages,
  PooledMessages,
} from "../dist/http/mcp-2026-07-28/pool/pooled-messages.js";
import { StatelessConnection } from "../dist/http/stateless-backends/stateless-connection.js";
import {
  ResourceSubscriptionLimitError,
  SubscriptionNotServedError,
} from "../dist/http/stateless-backends/subscription-errors.js";
import { createLogger } from "../dist/logger.js";

const log = createLogger("silent");
const tools: ServerEvent = { kind: "tools_list_changed" };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("BackendChangeFeed", () => {
  it("tells each watcher of a backend its changes, until it unwatches, and reports interest at the first and last watcher", () => {
    const interest: boolean[] = [];
    const feed = new BackendChangeFeed({ onInterest: (w) => interest.push(w) });
    const heard: [string, ChangedList][] = [];
    const stopA = feed.watch("a", (list) => heard.push(["a1", list]));
    const stopA2 = feed.watch("a", (list) => heard.push(["a2", list]));
    const stopB = feed.watch("b", (list) => heard.push(["b", list]));
    expect(interest).toEqual([true]);
    expect(feed.watching).toBe(3);
    feed.emit("a", "tools");
    feed.emit("c", "prompts");
    expect(heard).toEqual([
      ["a1", "tools"],
      ["a2", "tools"],
    ]);
    stopA();
    stopA();
    feed.emit("a", "resources");
    expect(heard.at(-1)).toEqual(["a2", "resources"]);
    stopA2();
    expect(feed.watches("a")).toBe(false);
    stopB();
    expect(interest).toEqual([true, false]);
    expect(feed.watching).toBe(0);
  });

  it("still tells the others when a watcher throws, and reports it", () => {
    const errors: unknown[] = [];
    const feed = new BackendChangeFeed({ onError: (e) => errors.push(e) });
    const heard: ChangedList[] = [];
    feed.watch("a", () => {
      throw new Error("session gone");
    });
    feed.watch("a", (list) => heard.push(list));
    expect(() => feed.emit("a", "tools")).not.toThrow();
    expect(heard).toEqual(["tools"]);
    expect(errors).toHaveLength(1);
  });

  it("holdWhileWatched holds once while watched, and releases a hold that resolves after the last watcher left", async () => {
    let holds = 0;
    let releases = 0;
    let resolveHold: ((release: () => void) => void) | undefined;
    const onInterest = holdWhileWatched(
      () => {
        holds++;
        return new Promise((resolve) => {
          resolveHold = resolve;
        });
      },
      () => undefined,
    );
    onInterest(true);
    onInterest(true);
    expect(holds).toBe(1);
    onInterest(false);
    resolveHold?.(() => releases++);
    await sleep(0);
    expect(releases).toBe(1);
    const failures: unknown[] = [];
    const failing = holdWhileWatched(
      () => Promise.reject(new Error("no listens")),
      (e) => failures.push(e),
    );
    failing(true);
    await sleep(0);
    failing(false);
    expect(failures).toHaveLength(1);
  });
});

describe("CoalescedChanges", () => {
  it("publishes the same change seen many times in a window once, when it closes, and each distinct change once", async () => {
    const published: ServerEvent[] = [];
    const changes = new CoalescedChanges({ publish: (e) => published.push(e), windowMs: 50, log });
    for (let i = 0; i < 20; i++) changes.seen(`backend-${i % 3}`, tools);
    changes.seen("a", { kind: "resource_updated", uri: "a://1" });
    changes.seen("a", { kind: "resource_updated", uri: "a://1" });
    changes.seen("a", { kind: "resource_updated", uri: "a://2" });
    expect(published).toEqual([]);
    expect(changes.pending).toBe(3);
    await sleep(80);
    expect(published).toEqual([
      tools,
      { kind: "resource_updated", uri: "a://1" },
      { kind: "resource_updated", uri: "a://2" },
    ]);
    // A later sighting opens a new window.
    changes.seen("a", tools);
    await sleep(80);
    expect(published).toHaveLength(4);
  });

  it("publishes at once with a window of 0, flushes on close, bounds what waits, and survives a publish that throws", async () => {
    const published: ServerEvent[] = [];
    const now = new CoalescedChanges({ publish: (e) => published.push(e), windowMs: 0, log });
    now.seen("a", tools);
    now.seen("a", tools);
    expect(published).toEqual([tools, tools]);

    const later = new CoalescedChanges({
      publish: (e) => published.push(e),
      windowMs: 60_000,
      maxPending: 2,
      log,
    });
    later.seen("a", { kind: "resource_updated", uri: "a://1" });
    later.seen("a", { kind: "resource_updated", uri: "a://2" });
    later.seen("a", { kind: "resource_updated", uri: "a://3" });
    expect(later.pending).toBe(2);
    later.close();
    expect(published.slice(2).map((e) => (e.kind === "resource_updated" ? e.uri : ""))).toEqual([
      "a://1",
      "a://2",
    ]);
    later.seen("a", tools);
    expect(later.pending).toBe(0);

    const throwing = new CoalescedChanges({
      publish: () => {
        throw new Error("bus gone");
      },
      windowMs: 0,
      log,
    });
    expect(() => throwing.seen("a", tools)).not.toThrow();
  });
});

describe("PooledMessages", () => {
  it("turns a pooled session's change notifications into listen events of its backend, and drops the rest it cannot place", () => {
    const changes: [string, ServerEvent][] = [];
    const messages = new PooledMessages((workloadId, event) => changes.push([workloadId, event]));
    const origin: BackendMessageOrigin = { sessionId: "vmcp.pool.x", workloadId: "legacy-a" };
    const send = (message: BackendMessage) => messages.notification(origin, message);
    send({ method: "notifications/tools/list_changed" });
    send({ method: "notifications/prompts/list_changed", params: {} });
    send({ method: "notifications/resources/list_changed" });
    send({ method: "notifications/resources/updated", params: { uri: "a://1" } });
    send({ method: "notifications/resources/updated", params: {} });
    send({ method: "notifications/message", params: { level: "info", data: "x" } });
    expect(changes).toEqual([
      ["legacy-a", { kind: "tools_list_changed" }],
      ["legacy-a", { kind: "prompts_list_changed" }],
      ["legacy-a", { kind: "resources_list_changed" }],
      ["legacy-a", { kind: "resource_updated", uri: "a://1" }],
    ]);
    // Without a handler they are dropped, as before.
    expect(() =>
      new PooledMessages().notification(origin, { method: "notifications/tools/list_changed" }),
    ).not.toThrow();
  });
});

describe("dispatchBackendMessages", () => {
  it("also hands a 2025-era backend's change on a 2025 client session to the listen events, never a modern backend's", async () => {
    const changes: [string, ServerEvent][] = [];
    const pooled = new PooledMessages((workloadId, event) => changes.push([workloadId, event]));
    const relayed: BackendMessage[] = [];
    const sessions = {
      notification: (_origin: BackendMessageOrigin, message: BackendMessage) =>
        relayed.push(message),
      request: () => Promise.reject(new Error("unused")),
    };
    const messages = dispatchBackendMessages(pooled, sessions, async (w) => w !== "modern-m");
    const change = { method: "notifications/tools/list_changed" };
    messages.notification({ sessionId: "s-1", workloadId: "legacy-a" }, change);
    messages.notification({ sessionId: "s-1", workloadId: "modern-m" }, change);
    messages.notification(
      { sessionId: "s-1", workloadId: "legacy-a" },
      { method: "notifications/message" },
    );
    messages.notification({ sessionId: "vmcp.pool.p", workloadId: "legacy-a" }, change);
    await sleep(0);
    // The session relay gets all of the session's; the pooled session's goes to pooled only.
    expect(relayed).toHaveLength(3);
    expect(changes).toEqual([
      ["legacy-a", { kind: "tools_list_changed" }],
      ["legacy-a", { kind: "tools_list_changed" }],
    ]);
  });
});

describe("StatelessConnection and the change feed", () => {
  const discover = {
    supportedVersions: ["2026-07-28"],
    capabilities: {
      tools: { listChanged: true },
      prompts: {},
      resources: { listChanged: true, subscribe: true },
    },
    serverInfo: { name: "m", version: "1" },
  };
  const backend = { workloadId: "modern-m", url: "http://127.0.0.1:9/mcp", discover };

  it("relays each change of its backend to its session as the backend's list_changed while open, and declares listChanged", async () => {
    const feed = new BackendChangeFeed();
    const heard: [BackendMessageOrigin, BackendMessage][] = [];
    const messages = {
      notification: (origin: BackendMessageOrigin, message: BackendMessage) =>
        heard.push([origin, message]),
      request: () => Promise.reject(new Error("unused")),
    };
    const connection = new StatelessConnection({
      backend: backend as never,
      sessionId: "s-1",
      messages,
      changes: feed,
      callTimeoutMs: 1_000,
      maxInputRounds: 1,
    });
    expect(connection.capabilities).toEqual({
      tools: { listChanged: true },
      prompts: {},
      resources: { listChanged: true },
    });
    feed.emit("modern-m", "tools");
    feed.emit("other", "tools");
    expect(heard).toEqual([
      [
        { sessionId: "s-1", workloadId: "modern-m" },
        { method: "notifications/tools/list_changed" },
      ],
    ]);
    await connection.close();
    feed.emit("modern-m", "prompts");
    expect(heard).toHaveLength(1);
    expect(feed.watching).toBe(0);
  });

  it("declares no listChanged and watches nothing without a feed", () => {
    const connection = new StatelessConnection({
      backend: backend as never,
      sessionId: "s-2",
      callTimeoutMs: 1_000,
      maxInputRounds: 1,
    });
    expect(connection.capabilities).toEqual({ tools: {}, prompts: {}, resources: {} });
  });
});

describe("ResourceUpdateFeed", () => {
  it("opens each follow's URI, tells each watcher of its backend and URI until released, and releases what it opened", async () => {
    const opened: string[][] = [];
    let released = 0;
    const feed = new ResourceUpdateFeed({
      open: async (uris) => {
        opened.push([...uris]);
        return { kind: "opened", release: () => released++ };
      },
    });
    const heard: string[] = [];
    const a = await feed.follow("m", "m://a", () => heard.push("a1"));
    const a2 = await feed.follow("m", "m://a", () => heard.push("a2"));
    const other = await feed.follow("n", "m://a", () => heard.push("n"));
    expect(opened).toEqual([["m://a"], ["m://a"], ["m://a"]]);
    expect(feed.following).toBe(3);
    feed.emit("m", "m://a");
    feed.emit("m", "m://b");
    expect(heard).toEqual(["a1", "a2"]);
    if (a.kind !== "followed" || a2.kind !== "followed" || other.kind !== "followed") {
      throw new Error("every follow is opened");
    }
    a.release();
    a.release();
    expect(released).toBe(1);
    feed.emit("m", "m://a");
    expect(heard).toEqual(["a1", "a2", "a2"]);
    a2.release();
    other.release();
    expect(released).toBe(3);
    expect(feed.following).toBe(0);
  });

  it("registers nothing when the URI cannot be followed, and still tells the others when a watcher throws", async () => {
    const refusing = new ResourceUpdateFeed({ open: async () => ({ kind: "limit" }) });
    expect(await refusing.follow("m", "m://a", () => undefined)).toEqual({ kind: "limit" });
    expect(refusing.following).toBe(0);
    expect(await new ResourceUpdateFeed().follow("m", "m://a", () => undefined)).toEqual({
      kind: "limit",
    });

    const errors: unknown[] = [];
    const feed = new ResourceUpdateFeed({
      open: async () => ({ kind: "opened", release: () => undefined }),
      onError: (error) => errors.push(error),
    });
    const heard: string[] = [];
    await feed.follow("m", "m://a", () => {
      throw new Error("session gone");
    });
    await feed.follow("m", "m://a", () => heard.push("ok"));
    expect(() => feed.emit("m", "m://a")).not.toThrow();
    expect(heard).toEqual(["ok"]);
    expect(errors).toHaveLength(1);
  });
});

describe("StatelessConnection and resource updates", () => {
  const discover = {
    supportedVersions: ["2026-07-28"],
    capabilities: { resources: { subscribe: true } },
    serverInfo: { name: "m", version: "1" },
  };
  const backend = { workloadId: "modern-m", url: "http://127.0.0.1:9/mcp", discover };
  const relay = (heard: [BackendMessageOrigin, BackendMessage][]) => ({
    notification: (origin: BackendMessageOrigin, message: BackendMessage) =>
      heard.push([origin, message]),
    request: () => Promise.reject(new Error("unused")),
  });
  /** A feed whose URIs the replica follows up to `max` at once (refcounted). */
  const boundedFeed = (max: number) => {
    const counts = new Map<string, number>();
    const feed = new ResourceUpdateFeed({
      open: async ([uri = ""]) => {
        if (!counts.has(uri) && counts.size >= max) return { kind: "limit" };
        counts.set(uri, (counts.get(uri) ?? 0) + 1);
        return {
          kind: "opened",
          release: () => {
            const left = (counts.get(uri) ?? 1) - 1;
            if (left > 0) counts.set(uri, left);
            else counts.delete(uri);
          },
        };
      },
    });
    return { feed, counts };
  };

  it("declares resources.subscribe, relays updates of a subscribed URI once until unsubscribed, and releases every follow on close", async () => {
    const { feed, counts } = boundedFeed(8);
    const heard: [BackendMessageOrigin, BackendMessage][] = [];
    const connection = new StatelessConnection({
      backend: backend as never,
      sessionId: "s-1",
      messages: relay(heard),
      updates: feed,
      callTimeoutMs: 1_000,
      maxInputRounds: 1,
    });
    expect(connection.capabilities).toEqual({ resources: { subscribe: true } });
    expect(await connection.request("resources/subscribe", { uri: "m://a" })).toEqual({});
    // Subscribed twice: followed once, heard once.
    await connection.request("resources/subscribe", { uri: "m://a" });
    await connection.request("resources/subscribe", { uri: "m://b" });
    expect(feed.following).toBe(2);
    feed.emit("modern-m", "m://a");
    feed.emit("other", "m://a");
    expect(heard).toEqual([
      [
        { sessionId: "s-1", workloadId: "modern-m" },
        { method: "notifications/resources/updated", params: { uri: "m://a" } },
      ],
    ]);
    await connection.request("resources/unsubscribe", { uri: "m://a" });
    await connection.request("resources/unsubscribe", { uri: "m://never" });
    feed.emit("modern-m", "m://a");
    expect(heard).toHaveLength(1);
    expect(connection.subscriptions).toEqual(["m://b"]);
    await connection.close();
    expect(feed.following).toBe(0);
    expect(counts.size).toBe(0);
  });

  it("refuses a URI past the replica's bound with ResourceSubscriptionLimitError, holding nothing for it", async () => {
    const { feed, counts } = boundedFeed(1);
    const connection = new StatelessConnection({
      backend: backend as never,
      sessionId: "s-2",
      messages: relay([]),
      updates: feed,
      callTimeoutMs: 1_000,
      maxInputRounds: 1,
    });
    await connection.request("resources/subscribe", { uri: "m://a" });
    const refused = await connection.request("resources/subscribe", { uri: "m://b" }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(ResourceSubscriptionLimitError);
    expect((refused as ResourceSubscriptionLimitError).code).toBe(
      "VMCP_TOO_MANY_RESOURCE_SUBSCRIPTIONS",
    );
    expect(connection.subscriptions).toEqual(["m://a"]);
    await connection.close();
    expect(counts.size).toBe(0);
  });

  it("declares no resources.subscribe without a feed or when the backend declares none, and refuses a subscribe then", async () => {
    const bare = new StatelessConnection({
      backend: backend as never,
      sessionId: "s-3",
      messages: relay([]),
      callTimeoutMs: 1_000,
      maxInputRounds: 1,
    });
    expect(bare.capabilities).toEqual({ resources: {} });
    await expect(bare.request("resources/subscribe", { uri: "m://a" })).rejects.toBeInstanceOf(
      SubscriptionNotServedError,
    );
    const none = new StatelessConnection({
      backend: { ...backend, discover: { ...discover, capabilities: { resources: {} } } } as never,
      sessionId: "s-4",
      messages: relay([]),
      updates: new ResourceUpdateFeed(),
      callTimeoutMs: 1_000,
      maxInputRounds: 1,
    });
    expect(none.capabilities).toEqual({ resources: {} });
  });
});
