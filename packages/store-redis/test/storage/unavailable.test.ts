import { requireRedisServer, waitUntil } from "@vmcp/redis-harness";
import { StorageUnavailableError } from "@vmcp/session-core";
import { DefaultTimeoutMs, RedisStorage } from "@vmcp/store-redis";
import { afterEach, describe, expect, it } from "vitest";
import { collect, timed, timeoutOptions, uniquePrefix, useFaultServer } from "../fixtures.js";
import { nodeRedisClient, type OpenNodeRedis } from "../node-redis.js";

requireRedisServer();

const fixture = useFaultServer<RedisStorage>();
const { opened } = fixture;

function open(timeoutMs?: number): RedisStorage {
  const storage = new RedisStorage({
    url: fixture.server.url,
    keyPrefix: uniquePrefix("down"),
    ...timeoutOptions(timeoutMs),
  });
  opened.push(storage);
  return storage;
}

/** Every operation of the storage, each as a promise. */
function everyCall(storage: RedisStorage): Array<[string, Promise<unknown>]> {
  const later = Date.now() + 60_000;
  return [
    ["create", storage.create({ id: "new", expiresAt: later })],
    ["update", storage.update("s", { set: { a: "b" } })],
    ["load", storage.load("s")],
    ["load with slide", storage.load("s", { slideExpiresAt: later })],
    ["touch", storage.touch("s", later)],
    // A hung server runs what it received once it resumes: delete another session.
    ["delete", storage.delete("other")],
    ["listIds", collect(storage.listIds())],
    ["ping", storage.ping()],
  ];
}

/** Whether the storage answers a ping now. */
async function answers(storage: RedisStorage): Promise<boolean> {
  await storage.ping();
  return true;
}

async function expectAllUnavailable(storage: RedisStorage, boundMs: number): Promise<void> {
  const outcomes = await Promise.all(
    everyCall(storage).map(async ([name, call]) => ({ name, ...(await timed(call)) })),
  );
  for (const outcome of outcomes) {
    expect(outcome.error, outcome.name).toBeInstanceOf(StorageUnavailableError);
    // The bound plus event-loop lag on a busy machine (1 s of slack); far below a hang.
    expect(outcome.ms, `${outcome.name} took ${outcome.ms} ms`).toBeLessThan(boundMs + 1_000);
  }
}

describe("with Redis unreachable", () => {
  it("the default bound is at most 2 s", () => {
    expect(DefaultTimeoutMs).toBeLessThanOrEqual(2_000);
  });

  it("rejects every call with StorageUnavailableError within the bound when the server is stopped, then recovers", async () => {
    const storage = open();
    await storage.create({ id: "s", metadata: { a: "1" } });
    await fixture.server.stop();
    await expectAllUnavailable(storage, DefaultTimeoutMs);
    await fixture.server.restart();
    // The same storage works again once the server is back (the restarted server starts empty).
    await waitUntil("the storage to reconnect", () => answers(storage), 5_000);
    expect(await storage.create({ id: "s", metadata: { a: "2" } })).toBe(true);
    expect((await storage.load("s"))?.metadata).toEqual({ a: "2" });
  });

  it("rejects within a configured bound when the server hangs (SIGSTOP), then recovers", async () => {
    const storage = open(400);
    await storage.create({ id: "s" });
    fixture.server.pause();
    await expectAllUnavailable(storage, 400);
    fixture.server.resume();
    await waitUntil("the storage to answer again", () => answers(storage), 5_000);
    expect(await storage.load("s")).toBeDefined();
  });

  it("rejects within the bound when the server is killed, and when it was never reachable", async () => {
    const storage = open(600);
    await storage.ping();
    await fixture.server.kill();
    await expectAllUnavailable(storage, 600);
    const neverConnected = open(600);
    await expectAllUnavailable(neverConnected, 600);
    await fixture.server.restart();
    await waitUntil(
      "both storages to reconnect",
      async () => {
        await storage.ping();
        await neverConnected.ping();
        return true;
      },
      5_000,
    );
    expect(await neverConnected.create({ id: "late" })).toBe(true);
  });

  it("closes promptly while disconnected", async () => {
    // A 5 s call bound: closing within 2 s shows close does not wait for it (slack for load).
    const storage = open(5_000);
    await fixture.server.stop();
    const { ms, error } = await timed(storage.close());
    expect(error).toBeUndefined();
    expect(ms).toBeLessThan(2_000);
  });
});

describe("with Redis unreachable, through a node-redis client the application owns", () => {
  const connections: OpenNodeRedis[] = [];
  afterEach(async () => {
    for (const connection of connections.splice(0)) await connection.close();
  });

  async function openNodeRedis(timeoutMs: number): Promise<RedisStorage> {
    const connection = await nodeRedisClient(fixture.server.url);
    connections.push(connection);
    const storage = new RedisStorage({
      client: connection.client,
      keyPrefix: uniquePrefix("down-node-redis"),
      timeoutMs,
    });
    opened.push(storage);
    return storage;
  }

  it("rejects every call with StorageUnavailableError within the bound when the server is stopped, then recovers", async () => {
    const storage = await openNodeRedis(600);
    await storage.create({ id: "s", metadata: { a: "1" } });
    await fixture.server.stop();
    await expectAllUnavailable(storage, 600);
    await fixture.server.restart();
    await waitUntil("the storage to reconnect", () => answers(storage), 5_000);
    // The restarted server starts empty and without the scripts: EVALSHA falls back to EVAL.
    expect(await storage.create({ id: "s", metadata: { a: "2" } })).toBe(true);
    expect((await storage.load("s"))?.metadata).toEqual({ a: "2" });
  });

  it("rejects within the bound when the server hangs (SIGSTOP), then recovers", async () => {
    const storage = await openNodeRedis(400);
    await storage.create({ id: "s" });
    fixture.server.pause();
    await expectAllUnavailable(storage, 400);
    fixture.server.resume();
    await waitUntil("the storage to answer again", () => answers(storage), 5_000);
    expect(await storage.load("s")).toBeDefined();
  });

  it("rejects within the bound when the server is killed, and at once for a client never connected", async () => {
    const storage = await openNodeRedis(600);
    await storage.ping();
    await fixture.server.kill();
    await expectAllUnavailable(storage, 600);
    const { createClient } = await import("redis");
    const notConnected = new RedisStorage({
      client: createClient({ url: fixture.server.url }),
      keyPrefix: uniquePrefix("never"),
      timeoutMs: 600,
    });
    opened.push(notConnected);
    await expectAllUnavailable(notConnected, 600);
    await fixture.server.restart();
    await waitUntil("the storage to reconnect", () => answers(storage), 5_000);
  });
});
