/**
 * RedisStorage beyond the shared conformance suite, on a standalone server of the file's own: the
 * key layout and native TTL, what reaches the socket and the server per operation, node-redis on
 * RESP3, concurrent writers, corrupt values, listIds, and clients and options. Over 400 lines on
 * purpose: every group shares the one server, its admin connection (INFO commandstats, MONITOR)
 * and the storages closed after each test; a split would repeat that set-up in each part.
 * Sentinel, Cluster, durability and faults have files of their own.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { type RedisServer, requireRedisServer, startRedisServer } from "@vmcp/redis-harness";
import {
  SessionDecodeError,
  SessionVersionConflictError,
  StorageClosedError,
  StorageUnavailableError,
} from "@vmcp/session-core";
import { RedisStorage } from "@vmcp/store-redis";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { collect, uniquePrefix } from "../fixtures.js";
import { nodeRedisClient, type OpenNodeRedis } from "../node-redis.js";

requireRedisServer();

let server: RedisServer;
let admin: Redis;
const opened: RedisStorage[] = [];
const connections: OpenNodeRedis[] = [];

function open(prefix: string, extra: { timeoutMs?: number } = {}): RedisStorage {
  const storage = new RedisStorage({ url: server.url, keyPrefix: prefix, ...extra });
  opened.push(storage);
  return storage;
}

beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis(server.url);
});

afterEach(async () => {
  for (const storage of opened.splice(0)) await storage.close();
  for (const connection of connections.splice(0)) await connection.close();
});

afterAll(async () => {
  admin.disconnect();
  await server?.close();
});

describe("key layout and native TTL", () => {
  it("keeps a session as one hash at <prefix>{<id>} with reserved and m: fields", async () => {
    const prefix = uniquePrefix("layout");
    const storage = open(prefix);
    const expiresAt = Date.now() + 60_000;
    expect(await storage.create({ id: "s-1", metadata: { "vmcp.backend.ids": "a,b" }, expiresAt }));
    const key = `${prefix}{s-1}`;
    expect(storage.keyOf("s-1")).toBe(key);
    // Braces and % in an ID are escaped, so the hash tag is always the whole ID.
    expect(storage.keyOf("x{y}%")).toBe(`${prefix}{x%7By%7D%25}`);
    expect(await admin.type(key)).toBe("hash");
    const hash = await admin.hgetall(key);
    expect(Object.keys(hash).sort()).toEqual(["@c", "@e", "@u", "@v", "m:vmcp.backend.ids"]);
    expect(hash["@v"]).toBe("1");
    expect(hash["@e"]).toBe(String(expiresAt));
    // The deadline is Redis's own TTL, as an absolute instant.
    expect(await admin.pexpiretime(key)).toBe(expiresAt);
  });

  it("moves, clears and honours the native deadline", async () => {
    const storage = open(uniquePrefix("ttl"));
    const key = storage.keyOf("s-ttl");
    await storage.create({ id: "s-ttl", expiresAt: Date.now() + 60_000 });
    const later = Date.now() + 120_000;
    expect(await storage.touch("s-ttl", later)).toBe(true);
    expect(await admin.pexpiretime(key)).toBe(later);
    const slid = Date.now() + 180_000;
    expect((await storage.load("s-ttl", { slideExpiresAt: slid }))?.expiresAt).toBe(slid);
    expect(await admin.pexpiretime(key)).toBe(slid);
    expect(await storage.update("s-ttl", { expiresAt: null })).toBe(true);
    expect(await admin.pttl(key)).toBe(-1);
    expect((await storage.load("s-ttl"))?.expiresAt).toBeUndefined();
    // The client is warm (the calls above): 500 ms of life, then 300 ms of slack past it.
    const soon = Date.now() + 500;
    await storage.update("s-ttl", { expiresAt: soon });
    await sleep(soon + 300 - Date.now());
    // Gone from Redis itself, not only hidden by the store.
    expect(await admin.exists(key)).toBe(0);
    expect(await storage.load("s-ttl")).toBeUndefined();
  });

  it("lets Cluster hash tags and SCAN patterns survive IDs holding glob and brace characters", async () => {
    const storage = open(uniquePrefix("odd*?[x]"));
    const ids = ["a*b", "q?", "[r]", "x{y}", "}z{", "{}", "%7B", "%", "back\\slash"];
    for (const id of ids) expect(await storage.create({ id, metadata: { id } })).toBe(true);
    for (const id of ids) expect((await storage.load(id))?.metadata).toEqual({ id });
    expect((await collect(storage.listIds({ batchSize: 2 }))).sort()).toEqual([...ids].sort());
  });
});

describe("socket writes", () => {
  it("sends the commands of many callers in one turn in a few socket writes, each its own request", async () => {
    const client = new Redis(server.url);
    const storage = new RedisStorage({ client, keyPrefix: uniquePrefix("coalesce") });
    try {
      const ids = Array.from({ length: 32 }, (_, i) => `s${i}`);
      for (const id of ids) await storage.create({ id, metadata: { id } });
      // Count what reaches the socket: one _write or _writev call per system call's worth.
      const stream = client.stream as unknown as {
        _write: (...args: unknown[]) => unknown;
        _writev?: (...args: unknown[]) => unknown;
      };
      let writes = 0;
      const write = stream._write;
      const writev = stream._writev;
      stream._write = function (this: unknown, ...args: unknown[]) {
        writes++;
        return write.apply(this, args);
      };
      if (writev !== undefined) {
        stream._writev = function (this: unknown, ...args: unknown[]) {
          writes++;
          return writev.apply(this, args);
        };
      }
      const records = await Promise.all(ids.map((id) => storage.load(id)));
      stream._write = write;
      if (writev !== undefined) stream._writev = writev;
      expect(records.map((record) => record?.metadata)).toEqual(ids.map((id) => ({ id })));
      // 32 loads made in one turn: at most 8 commands per write, not one write per command.
      expect(writes).toBeGreaterThanOrEqual(4);
      expect(writes).toBeLessThanOrEqual(5);
    } finally {
      await storage.close();
      client.disconnect();
    }
  });
});

describe("one round trip per operation", () => {
  /** Commands the scripts run inside Redis (counted by commandstats too, but not sent by us). */
  const insideScripts = new Set([
    "type",
    "hmget",
    "hget",
    "hset",
    "hdel",
    "del",
    "pexpireat",
    "persist",
    "hgetall",
    "exists",
  ]);

  async function commandCalls(): Promise<Map<string, number>> {
    const info = await admin.info("commandstats");
    const calls = new Map<string, number>();
    for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
      calls.set(match[1] ?? "", Number(match[2]));
    }
    return calls;
  }

  function delta(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
    const moved = new Map<string, number>();
    for (const [name, count] of after) {
      if (name === "info") continue;
      const diff = count - (before.get(name) ?? 0);
      if (diff !== 0) moved.set(name, diff);
    }
    return moved;
  }

  for (const library of ["ioredis", "node-redis"] as const) {
    it(`sends exactly one command per create, update, load, touch and delete, on ${library} (INFO commandstats and MONITOR)`, async () => {
      let storage: RedisStorage;
      if (library === "ioredis") {
        storage = open(uniquePrefix("rtt"));
      } else {
        const connection = await nodeRedisClient(server.url);
        connections.push(connection);
        storage = new RedisStorage({ client: connection.client, keyPrefix: uniquePrefix("rtt") });
        opened.push(storage);
      }
      // Warm up: the first use of each script on a connection is an EVAL, later ones EVALSHA.
      await storage.create({ id: "warm", metadata: { a: "1" } });
      await storage.update("warm", { set: { b: "2" } });
      await storage.load("warm");
      await storage.load("warm", { slideExpiresAt: Date.now() + 60_000 });
      await storage.touch("warm", Date.now() + 60_000);
      await storage.delete("warm");

      // `monitor()` opens its own connection; a `duplicate()` in front of it would be left open
      // and, once the server stops, reconnect with no error listener.
      const monitor = await admin.monitor();
      const fromClients: string[] = [];
      monitor.on("monitor", (_time: string, args: string[], source: string) => {
        if (source !== "lua" && args[0]?.toLowerCase() !== "info")
          fromClients.push((args[0] ?? "").toLowerCase());
      });
      try {
        const operations: Array<[string, string, () => Promise<unknown>]> = [
          [
            "create",
            "evalsha",
            () => storage.create({ id: "s", metadata: { a: "1" }, expiresAt: Date.now() + 60_000 }),
          ],
          [
            "update",
            "evalsha",
            () => storage.update("s", { set: { b: "2" }, remove: ["a"] }, { ifVersion: 1 }),
          ],
          // node-redis loads with a plain HGETALL (see the README), ioredis with the load script.
          ["load", library === "node-redis" ? "hgetall" : "evalsha", () => storage.load("s")],
          [
            "load with slide",
            "evalsha",
            () => storage.load("s", { slideExpiresAt: Date.now() + 90_000 }),
          ],
          ["touch", "evalsha", () => storage.touch("s", Date.now() + 120_000)],
          ["delete", "evalsha", () => storage.delete("s")],
        ];
        for (const [name, entry, run] of operations) {
          const before = await commandCalls();
          fromClients.length = 0;
          await run();
          const after = await commandCalls();
          const moved = delta(before, after);
          expect(moved.get(entry), `${name}: ${entry} calls`).toBe(1);
          for (const [command, count] of moved) {
            if (command === entry) continue;
            // Anything else that moved was run by the script inside Redis, never sent by us.
            expect(insideScripts.has(command), `${name}: unexpected ${command} x${count}`).toBe(
              true,
            );
          }
          expect(fromClients.filter((command) => command.toLowerCase() !== "info")).toEqual([
            entry,
          ]);
        }
      } finally {
        monitor.disconnect();
      }
    });
  }
});

describe("node-redis speaking RESP3", () => {
  it("loads what it stored (HGETALL answers a map there), and names the session of a value of another type", async () => {
    const { createClient } = await import("redis");
    const client = createClient({ url: server.url, RESP: 3 });
    client.on("error", () => undefined);
    await client.connect();
    connections.push({ client, close: async () => client.destroy() });
    const storage = new RedisStorage({ client, keyPrefix: uniquePrefix("resp3") });
    opened.push(storage);
    expect(await storage.create({ id: "s", metadata: { a: "1", b: "" } })).toBe(true);
    expect(await storage.load("s")).toMatchObject({
      id: "s",
      version: 1,
      metadata: { a: "1", b: "" },
    });
    expect(await storage.load("absent")).toBeUndefined();
    await admin.set(storage.keyOf("odd"), "not a hash");
    const error = await storage.load("odd").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionDecodeError);
    expect((error as SessionDecodeError).sessionId).toBe("odd");
  });
});

describe("concurrent writers", () => {
  it("two clients making 100 concurrent updates each to different keys lose none", async () => {
    const prefix = uniquePrefix("concurrent");
    const a = open(prefix);
    const b = open(prefix);
    await a.create({ id: "shared" });
    const writes = (storage: RedisStorage, who: string) =>
      Array.from({ length: 100 }, (_, i) =>
        storage.update("shared", { set: { [`${who}.${i}`]: `${who}-${i}` } }),
      );
    const results = await Promise.all([...writes(a, "a"), ...writes(b, "b")]);
    expect(results.every(Boolean)).toBe(true);
    const record = await a.load("shared");
    expect(Object.keys(record?.metadata ?? {})).toHaveLength(200);
    for (let i = 0; i < 100; i++) {
      expect(record?.metadata[`a.${i}`]).toBe(`a-${i}`);
      expect(record?.metadata[`b.${i}`]).toBe(`b-${i}`);
    }
    expect(record?.version).toBe(201);
  });

  it("racing updates of the same keys end in one written patch, never a mix", async () => {
    const prefix = uniquePrefix("race");
    const a = open(prefix);
    const b = open(prefix);
    await a.create({ id: "raced", metadata: { x: "start", y: "start" } });
    const written = new Set<string>();
    const race = (storage: RedisStorage, who: string) =>
      Array.from({ length: 100 }, (_, i) => {
        const value = `${who}-${i}`;
        written.add(value);
        return storage.update("raced", { set: { x: value, y: value } });
      });
    await Promise.all([...race(a, "a"), ...race(b, "b")]);
    const record = await b.load("raced");
    expect(written.has(record?.metadata.x ?? "")).toBe(true);
    expect(record?.metadata.y).toBe(record?.metadata.x);
    expect(record?.version).toBe(201);
  });

  it("lets exactly one of many racing compare-and-set updates win", async () => {
    const prefix = uniquePrefix("cas");
    const a = open(prefix);
    const b = open(prefix);
    await a.create({ id: "cas" });
    const attempts = Array.from({ length: 40 }, (_, i) =>
      (i % 2 === 0 ? a : b).update("cas", { set: { winner: String(i) } }, { ifVersion: 1 }).then(
        () => "won",
        (error: unknown) => (error instanceof SessionVersionConflictError ? "conflict" : error),
      ),
    );
    const outcomes = await Promise.all(attempts);
    expect(outcomes.filter((o) => o === "won")).toHaveLength(1);
    expect(outcomes.filter((o) => o === "conflict")).toHaveLength(39);
    expect((await a.load("cas"))?.version).toBe(2);
  });
});

describe("corrupt and foreign values", () => {
  it("raise SessionDecodeError naming the session, and leave the others alone", async () => {
    const prefix = uniquePrefix("corrupt");
    const storage = open(prefix);
    await storage.create({ id: "good", metadata: { ok: "yes" } });
    await admin.set(`${prefix}{as-string}`, "not a hash");
    await admin.rpush(`${prefix}{as-list}`, "x");
    await admin.hset(`${prefix}{bad-version}`, "@c", "1", "@u", "1", "@v", "abc");
    await admin.hset(`${prefix}{no-version}`, "@c", "1", "@u", "1");
    await admin.hset(`${prefix}{stray-field}`, "@c", "1", "@u", "1", "@v", "1", "stray", "x");
    for (const id of ["as-string", "as-list", "bad-version", "no-version", "stray-field"]) {
      const error = await storage.load(id).catch((e: unknown) => e);
      expect(error, id).toBeInstanceOf(SessionDecodeError);
      expect((error as SessionDecodeError).sessionId).toBe(id);
      expect((error as SessionDecodeError).message).toContain(id);
    }
    for (const id of ["as-string", "as-list", "bad-version"]) {
      await expect(storage.update(id, { set: { a: "b" } })).rejects.toBeInstanceOf(
        SessionDecodeError,
      );
      await expect(storage.touch(id, Date.now() + 1000)).rejects.toBeInstanceOf(SessionDecodeError);
      await expect(storage.create({ id })).rejects.toBeInstanceOf(SessionDecodeError);
      await expect(storage.load(id, { slideExpiresAt: Date.now() + 1000 })).rejects.toBeInstanceOf(
        SessionDecodeError,
      );
    }
    // The good session and the storage itself are unaffected.
    expect((await storage.load("good"))?.metadata).toEqual({ ok: "yes" });
    await storage.ping();
    // An operator can clear a corrupt value through the storage.
    expect(await storage.delete("as-string")).toBe(true);
    expect(await storage.load("as-string")).toBeUndefined();
  });
});

describe("listIds", () => {
  it("walks every session with SCAN in bounded batches, skipping other prefixes", async () => {
    const prefix = uniquePrefix("list");
    const storage = open(prefix);
    const other = open(uniquePrefix("other"));
    const ids = Array.from({ length: 600 }, (_, i) => `id-${i}`);
    await Promise.all(ids.map((id) => storage.create({ id })));
    await other.create({ id: "elsewhere" });
    await admin.set(`${prefix}not-a-session`, "x");
    const listed = await collect(storage.listIds({ batchSize: 50 }));
    expect(new Set(listed)).toEqual(new Set(ids));
    expect(await collect(other.listIds())).toEqual(["elsewhere"]);
  });
});

describe("clients, options and lifecycle", () => {
  it("uses a given client without closing it", async () => {
    const client = new Redis(server.url);
    try {
      const storage = new RedisStorage({ client, keyPrefix: uniquePrefix("given") });
      expect(await storage.create({ id: "mine" })).toBe(true);
      await storage.close();
      await storage.close();
      await expect(storage.load("mine")).rejects.toBeInstanceOf(StorageClosedError);
      expect(await client.ping()).toBe("PONG");
      expect(client.listenerCount("error")).toBe(0);
    } finally {
      client.disconnect();
    }
  });

  it("refuses ambiguous or unsafe configuration", () => {
    expect(() => new RedisStorage({})).toThrow(TypeError);
    expect(() => new RedisStorage({ url: server.url, keyPrefix: "a{b" })).toThrow(TypeError);
    expect(() => new RedisStorage({ url: server.url, redis: { keyPrefix: "x:" } })).toThrow(
      TypeError,
    );
    expect(() => new RedisStorage({ url: server.url, timeoutMs: 0 })).toThrow(RangeError);
    const client = new Redis(server.url, { lazyConnect: true });
    expect(() => new RedisStorage({ url: server.url, client })).toThrow(TypeError);
    client.disconnect();
  });

  it("passes AUTH and ACL users through", async () => {
    const secured = await startRedisServer({
      args: ["--requirepass", "s3cret", "--user", "alice", "on", ">alice-pw", "~*", "+@all"],
    });
    try {
      const viaPassword = new RedisStorage({ url: `redis://:s3cret@127.0.0.1:${secured.port}` });
      opened.push(viaPassword);
      expect(await viaPassword.create({ id: "p" })).toBe(true);
      const viaUser = new RedisStorage({
        redis: { host: "127.0.0.1", port: secured.port, username: "alice", password: "alice-pw" },
      });
      opened.push(viaUser);
      expect(await viaUser.load("p")).toBeDefined();
      const wrong = new RedisStorage({
        url: `redis://:nope@127.0.0.1:${secured.port}`,
        timeoutMs: 500,
      });
      opened.push(wrong);
      await expect(wrong.load("p")).rejects.toBeInstanceOf(StorageUnavailableError);
    } finally {
      for (const storage of opened.splice(0)) await storage.close();
      await secured.close();
    }
  });
});
