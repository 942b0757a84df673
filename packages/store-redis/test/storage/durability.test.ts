import {
  type RedisServer,
  requireRedisServer,
  startRedisServer,
  waitForReplicaAcks,
  waitUntil,
} from "@vmcp/redis-harness";
import { StorageUnavailableError } from "@vmcp/session-core";
import { RedisStorage, WriteNotReplicatedError } from "@vmcp/store-redis";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { timed, timeoutOptions, uniquePrefix } from "../fixtures.js";

requireRedisServer();

let master: RedisServer;
let replica: RedisServer;
let admin: Redis;
const opened: RedisStorage[] = [];

function open(durability: { replicas: number; timeoutMs?: number }, timeoutMs = 1_000) {
  const storage = new RedisStorage({
    url: master.url,
    keyPrefix: uniquePrefix("durable"),
    timeoutMs,
    durability,
  });
  opened.push(storage);
  return storage;
}

/** Calls of `cmd` the master ran so far (INFO commandstats). */
async function calls(cmd: string): Promise<number> {
  const info = await admin.info("commandstats");
  return Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
}

beforeAll(async () => {
  master = await startRedisServer();
  replica = await startRedisServer({ args: ["--replicaof", "127.0.0.1", String(master.port)] });
  await waitForReplicaAcks(master);
  admin = new Redis(master.url);
});

afterEach(async () => {
  replica.resume();
  for (const storage of opened.splice(0)) await storage.close();
});

afterAll(async () => {
  admin?.disconnect();
  await replica?.close();
  await master?.close();
});

describe("durability option", () => {
  it("refuses replica counts and WAIT timeouts out of range", () => {
    const url = "redis://127.0.0.1:1";
    const make = (durability: { replicas: number; timeoutMs?: number }, timeoutMs?: number) =>
      new RedisStorage({ url, durability, ...timeoutOptions(timeoutMs) });
    expect(() => make({ replicas: 0 })).toThrow(RangeError);
    expect(() => make({ replicas: 1.5 })).toThrow(RangeError);
    expect(() => make({ replicas: 1, timeoutMs: 0 })).toThrow(RangeError);
    // WAIT must end before the call's own bound, so a refusal is typed rather than a timeout.
    expect(() => make({ replicas: 1, timeoutMs: 1_500 })).toThrow(/below timeoutMs/);
    expect(() => make({ replicas: 1, timeoutMs: 400 }, 400)).toThrow(RangeError);
    void make({ replicas: 1, timeoutMs: 399 }, 400).close();
    void make({ replicas: 2 }).close();
  });

  it("acknowledges each write once a replica has it, with one WAIT per write on the same server", async () => {
    const storage = open({ replicas: 1 });
    // Load every write script first (a server's first EVALSHA of a script answers NOSCRIPT and
    // is resent, with its own WAIT).
    await storage.create({ id: "warm" });
    await storage.update("warm", { set: { a: "1" } });
    await storage.touch("warm", Date.now() + 60_000);
    await storage.delete("warm");
    const [evalBefore, waitBefore] = [await calls("evalsha"), await calls("wait")];
    const later = Date.now() + 60_000;
    expect(await storage.create({ id: "s", metadata: { a: "1" }, expiresAt: later })).toBe(true);
    expect(await storage.create({ id: "s" })).toBe(false);
    expect(await storage.update("s", { set: { b: "2" } })).toBe(true);
    expect(await storage.touch("s", later + 1)).toBe(true);
    // Acknowledged means on the replica already, not eventually.
    const key = storage.keyOf("s");
    expect(await replica.cli("HGET", key, "m:b")).toBe("2");
    expect(await replica.cli("HGET", key, "@e")).toBe(String(later + 1));
    expect(await storage.delete("s")).toBe(true);
    expect(await replica.cli("EXISTS", key)).toBe("0");
    expect(await storage.update("s", { set: { c: "3" } })).toBe(false);
    // Six writes: six scripts and six WAITs.
    expect((await calls("evalsha")) - evalBefore).toBe(6);
    expect((await calls("wait")) - waitBefore).toBe(6);
    // Reads never wait.
    await storage.load("s");
    expect((await calls("wait")) - waitBefore).toBe(6);
  });

  it("confirms concurrent writes with one WAIT per batch, not one per write", async () => {
    const storage = open({ replicas: 1 });
    await Promise.all(Array.from({ length: 50 }, (_, i) => storage.create({ id: `b-${i}` })));
    const waitBefore = await calls("wait");
    const done = await Promise.all(
      Array.from({ length: 50 }, (_, i) => storage.update(`b-${i}`, { set: { i: String(i) } })),
    );
    expect(done.every(Boolean)).toBe(true);
    // Made in one turn of the event loop: one pipeline of 50 scripts and one WAIT behind them.
    expect((await calls("wait")) - waitBefore).toBe(1);
    for (const i of [0, 25, 49]) {
      expect(await replica.cli("HGET", storage.keyOf(`b-${i}`), "m:i")).toBe(String(i));
    }
  });

  it("refuses a write fewer replicas confirm, typed and within the WAIT timeout", async () => {
    const storage = open({ replicas: 2, timeoutMs: 200 });
    const { ms, error } = await timed(storage.create({ id: "two", metadata: { a: "1" } }));
    expect(error).toBeInstanceOf(WriteNotReplicatedError);
    expect(error).toBeInstanceOf(StorageUnavailableError);
    const refused = error as WriteNotReplicatedError;
    expect(refused.code).toBe("VMCP_STORAGE_UNAVAILABLE");
    expect(refused.name).toBe("WriteNotReplicatedError");
    expect(refused).toMatchObject({
      operation: "create",
      sessionId: "two",
      replicasRequired: 2,
      replicasConfirmed: 1,
    });
    expect(refused.message).toMatch(/not acknowledged: 1 of 2/);
    expect(ms).toBeGreaterThanOrEqual(190);
    expect(ms).toBeLessThan(1_000);
    // Not acknowledged does not mean not applied: the master ran the script.
    expect(await admin.exists(storage.keyOf("two"))).toBe(1);
  });

  it("refuses writes while the replica hangs, and acknowledges again once it answers", async () => {
    const storage = open({ replicas: 1, timeoutMs: 300 }, 1_000);
    expect(await storage.create({ id: "h" })).toBe(true);
    replica.pause();
    const { ms, error } = await timed(storage.update("h", { set: { a: "1" } }));
    expect(error).toBeInstanceOf(WriteNotReplicatedError);
    expect(ms).toBeLessThan(1_000 + 400);
    // Reads do not depend on the replica.
    expect((await storage.load("h"))?.metadata).toEqual({ a: "1" });
    replica.resume();
    await waitUntil(
      "writes to be acknowledged again",
      async () => storage.update("h", { set: { a: "2" } }),
      10_000,
    );
    expect(await replica.cli("HGET", storage.keyOf("h"), "m:a")).toBe("2");
  });

  it("keeps loads off the connection a blocked WAIT holds", async () => {
    const storage = open({ replicas: 1, timeoutMs: 800 }, 1_000);
    expect(await storage.create({ id: "l" })).toBe(true);
    // Loads the update script, so the update below runs at once (no NOSCRIPT resend).
    expect(await storage.update("l", { set: { a: "1" } })).toBe(true);
    replica.pause();
    const write = timed(storage.update("l", { set: { a: "2" } }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The WAIT blocks its connection for 800 ms; a load answers at once all the same.
    const read = await timed(storage.load("l"));
    expect((read.value as { metadata: Record<string, string> } | undefined)?.metadata.a).toBe("2");
    expect(read.ms).toBeLessThan(400);
    expect((await write).error).toBeInstanceOf(WriteNotReplicatedError);
  });

  it("sends the script again, WAIT behind it, when the server lost its script cache", async () => {
    const storage = open({ replicas: 1 });
    expect(await storage.create({ id: "f" })).toBe(true);
    await admin.script("FLUSH");
    const waitBefore = await calls("wait");
    expect(await storage.update("f", { set: { x: "y" } })).toBe(true);
    expect(await replica.cli("HGET", storage.keyOf("f"), "m:x")).toBe("y");
    // The NOSCRIPT attempt and its resend each carried a WAIT.
    expect((await calls("wait")) - waitBefore).toBe(2);
  });

  it("leaves durability off by default: no WAIT at all", async () => {
    const storage = new RedisStorage({ url: master.url, keyPrefix: uniquePrefix("off") });
    opened.push(storage);
    const waitBefore = await calls("wait");
    await storage.create({ id: "o" });
    await storage.update("o", { set: { a: "b" } });
    await storage.delete("o");
    expect(await calls("wait")).toBe(waitBefore);
  });
});
