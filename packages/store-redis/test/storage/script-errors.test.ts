import { type RedisServer, requireRedisServer, startRedisServer } from "@vmcp/redis-harness";
import {
  ErrorCode,
  SessionDecodeError,
  StorageScriptError,
  StorageUnavailableError,
} from "@vmcp/session-core";
import { RedisStorage } from "@vmcp/store-redis";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { isScriptError } from "../../dist/clients/redis-errors.js";
import { uniquePrefix } from "../fixtures.js";

requireRedisServer();

let server: RedisServer;
const clients: Redis[] = [];
const opened: RedisStorage[] = [];

/** A storage on a client of our own, so the test can redefine one of its scripts. */
function open(): { storage: RedisStorage; client: Redis } {
  const client = new Redis(server.url, { maxRetriesPerRequest: 1 });
  clients.push(client);
  const storage = new RedisStorage({ client, keyPrefix: uniquePrefix("script") });
  opened.push(storage);
  return { storage, client };
}

beforeAll(async () => {
  server = await startRedisServer();
});

afterEach(async () => {
  for (const storage of opened.splice(0)) await storage.close();
  for (const client of clients.splice(0)) client.disconnect();
});

afterAll(async () => {
  await server?.close();
});

describe("a failing Lua script is a programming error, not an outage", () => {
  it("a script that fails at run time rejects with StorageScriptError, without a Retry-After kind", async () => {
    const { storage, client } = open();
    await storage.create({ id: "s1", metadata: { a: "1" } });
    // Replace the storage's load script on its client with one that reads an undefined global.
    client.defineCommand("vmcpSessionLoad", { numberOfKeys: 1, lua: "return nosuch.field" });
    const error = await storage.load("s1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageScriptError);
    expect(error).not.toBeInstanceOf(StorageUnavailableError);
    expect((error as StorageScriptError).code).toBe(ErrorCode.StorageScript);
    expect((error as StorageScriptError).operation).toBe("load");
    expect((error as Error).message).toContain("user_script");
    // The storage still works for the operations whose scripts are sound.
    expect(await storage.update("s1", { set: { b: "2" } })).toBe(true);
  });

  it("a script that does not compile, and a bad redis.call inside a script, are script errors too", async () => {
    const { storage, client } = open();
    client.defineCommand("vmcpSessionTouch", { numberOfKeys: 1, lua: "retur 1" });
    const compile = await storage.touch("s1", Date.now() + 60_000).catch((e: unknown) => e);
    expect(compile).toBeInstanceOf(StorageScriptError);
    expect((compile as Error).message).toContain("compiling");

    client.defineCommand("vmcpSessionDelete", {
      numberOfKeys: 1,
      lua: "return redis.call('hset', KEYS[1])",
    });
    const badCall = await storage.delete("s1").catch((e: unknown) => e);
    expect(badCall).toBeInstanceOf(StorageScriptError);
  });

  it("a value of another type at the session key is still a decode error naming the session", async () => {
    const { storage, client } = open();
    await client.set(storage.keyOf("s2"), "not a hash");
    const error = await storage.load("s2").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionDecodeError);
    expect((error as SessionDecodeError).sessionId).toBe("s2");
  });

  it("after SCRIPT FLUSH (NOSCRIPT on EVALSHA) the operations still work", async () => {
    const { storage, client } = open();
    await storage.create({ id: "s3", metadata: { a: "1" } });
    await client.script("FLUSH");
    expect((await storage.load("s3"))?.metadata).toEqual({ a: "1" });
  });
});

describe("isScriptError", () => {
  it("tells script failures from a server in trouble", () => {
    expect(isScriptError("ERR user_script:1: Script attempted to access nonexistent global")).toBe(
      true,
    );
    expect(isScriptError("ERR Error compiling script (new function): user_script:1: x")).toBe(true);
    expect(
      isScriptError("ERR Wrong number of args calling Redis command from script script: 9af9"),
    ).toBe(true);
    expect(isScriptError("NOSCRIPT No matching script. Please use EVAL.")).toBe(false);
    expect(
      isScriptError("READONLY You can't write against a read only replica. script: 9af9"),
    ).toBe(false);
    expect(isScriptError("LOADING Redis is loading the dataset in memory")).toBe(false);
    expect(isScriptError("BUSY Redis is busy running a script.")).toBe(false);
    expect(isScriptError("connect ECONNREFUSED 127.0.0.1:6379")).toBe(false);
  });
});
