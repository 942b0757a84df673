import { type RedisServer, requireRedisServer, startRedisServer } from "@vmcp/redis-harness";
import { ErrorCode, StorageUnavailableError } from "@vmcp/session-core";
import { RedisDatabaseError, RedisStorage } from "@vmcp/store-redis";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { collect, timed, uniquePrefix } from "../fixtures.js";

requireRedisServer();

/** The server has databases 0 to 3 only. */
const Databases = 4;

let server: RedisServer;
const opened: { close(): Promise<void> | void }[] = [];

beforeAll(async () => {
  server = await startRedisServer({ args: ["--databases", String(Databases)] });
});

afterEach(async () => {
  for (const item of opened.splice(0)) await item.close();
});

afterAll(async () => {
  await server?.close();
});

/** The bound on each call here, ms: far above the time a refusal takes, so waiting it out shows. */
const TimeoutMs = 5_000;

function open(url: string): RedisStorage {
  const storage = new RedisStorage({ url, keyPrefix: uniquePrefix("db"), timeoutMs: TimeoutMs });
  opened.push(storage);
  return storage;
}

/** A plain client on database `db` of the test server. */
async function inspect(db: number): Promise<Redis> {
  const client = new Redis(server.url, { db, lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  opened.push({ close: () => client.disconnect() });
  return client;
}

describe("the database index of the URL", () => {
  it("is honoured: a session written through /3 is in database 3 and not in database 0", async () => {
    const storage = open(`${server.url}/3`);
    const later = Date.now() + 60_000;
    expect(await storage.create({ id: "in-db-3", expiresAt: later, metadata: { a: "b" } })).toBe(
      true,
    );
    const key = storage.keyOf("in-db-3");
    expect(await (await inspect(3)).exists(key)).toBe(1);
    expect(await (await inspect(0)).exists(key)).toBe(0);
    expect((await storage.load("in-db-3"))?.metadata).toEqual({ a: "b" });
    expect(await collect(storage.listIds())).toEqual(["in-db-3"]);
  });

  it("that the server lacks stops the storage with RedisDatabaseError at once, and nothing reaches database 0", async () => {
    const zero = await inspect(0);
    const before = await zero.dbsize();
    const storage = open(`${server.url}/${Databases}`);
    const later = Date.now() + 60_000;
    const outcomes = await Promise.all([
      timed(storage.ping()),
      timed(storage.create({ id: "nowhere", expiresAt: later })),
      timed(storage.load("nowhere")),
      timed(collect(storage.listIds())),
    ]);
    for (const outcome of outcomes) {
      expect(outcome.error).toBeInstanceOf(RedisDatabaseError);
      expect(outcome.error).toBeInstanceOf(StorageUnavailableError);
      expect(outcome.error).toMatchObject({
        code: ErrorCode.StorageUnavailable,
        database: Databases,
        message: expect.stringMatching(
          /^Redis refused database 4 \(ERR DB index is out of range\)/,
        ),
      });
      // Refused as soon as Redis answered the SELECT, not at the call bound (with 1 s of slack).
      expect(outcome.ms).toBeLessThan(TimeoutMs - 1_000);
    }
    // Later calls fail the same way, without a new connection.
    const again = await timed(storage.update("nowhere", { set: { a: "b" } }));
    expect(again.error).toBeInstanceOf(RedisDatabaseError);
    expect(again.ms).toBeLessThan(TimeoutMs - 1_000);
    expect(await zero.dbsize()).toBe(before);
    expect(await zero.exists(storage.keyOf("nowhere"))).toBe(0);
  });

  it("a Cluster refuses any database but 0 when the storage is built", () => {
    expect(
      () =>
        new RedisStorage({
          cluster: {
            nodes: [{ host: "127.0.0.1", port: server.port }],
            options: { redisOptions: { db: 2 } },
          },
        }),
    ).toThrow(/a Redis Cluster has only database 0; remove db 2/);
  });
});
