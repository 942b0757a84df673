import { randomBytes } from "node:crypto";
import { type RedisServer, requireRedisServer, startRedisServer } from "@vmcp/redis-harness";
import { RedisStorage } from "@vmcp/store-redis";
import { afterAll, beforeAll } from "vitest";
import { describeManagerOverStorage } from "./fixtures/manager-suite.js";

requireRedisServer();

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.close();
});

describeManagerOverStorage("RedisStorage (standalone, two connections)", async () => {
  const keyPrefix = `it:${randomBytes(6).toString("hex")}:`;
  const storage = new RedisStorage({ url: server.url, keyPrefix });
  const replica = new RedisStorage({ url: server.url, keyPrefix });
  return {
    storage,
    replica,
    dispose: async () => {
      await storage.close();
      await replica.close();
    },
  };
});
