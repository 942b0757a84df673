import { type RedisServer, startRedisServer } from "@vmcp/redis-harness";
import { generateSessionId, type SessionMessageBus } from "@vmcp/session-core";
import { InProcessMessageBus } from "@vmcp/store-memory";
import { RedisMessageBus, type RedisStorage } from "@vmcp/store-redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StoreConfig } from "../src/config/gateway-config.js";
import { createMessageBus, redisMessageBusOptions } from "../src/store/create-message-bus.js";
import { createRedisStorage } from "../src/store/create-redis-storage.js";

type RedisStoreConfig = Extract<StoreConfig, { kind: "redis" }>;

/** Resolves the first message `bus` delivers for `sessionId` after `send` ran. */
async function roundTrip(
  from: SessionMessageBus,
  to: SessionMessageBus,
  sessionId: string,
  message: string,
): Promise<string> {
  let received: (message: string) => void = () => {};
  const arrived = new Promise<string>((resolve) => {
    received = resolve;
  });
  const subscription = await to.subscribe(sessionId, (m) => received(m));
  await from.publish(sessionId, message);
  const got = await arrived;
  await subscription.unsubscribe();
  return got;
}

describe("createMessageBus", () => {
  it("gives an in-process bus for the memory store", async () => {
    const bus = await createMessageBus({ kind: "memory" });
    expect(bus).toBeInstanceOf(InProcessMessageBus);
    expect(await roundTrip(bus, bus, generateSessionId(), "hello")).toBe("hello");
    await bus.close();
  });

  describe("for a redis store", () => {
    let server: RedisServer;
    beforeAll(async () => {
      server = await startRedisServer();
    });
    afterAll(async () => {
      await server?.close();
    });

    it("gives Redis buses on the configured server that reach each other, as two replicas' would", async () => {
      const config: RedisStoreConfig = { kind: "redis", url: server.url, keyPrefix: "gw-bus:" };
      const [a, b] = [await createMessageBus(config), await createMessageBus(config)];
      expect(a).toBeInstanceOf(RedisMessageBus);
      expect(await roundTrip(a, b, generateSessionId(), "across replicas")).toBe("across replicas");
      await a.close();
      await b.close();
    });

    it("puts a session's channel under the storage's key and hash tag, with the configured prefix", async () => {
      const config: RedisStoreConfig = { kind: "redis", url: server.url, keyPrefix: "tenant-a:" };
      const bus = (await createMessageBus(config)) as RedisMessageBus;
      const storage = createRedisStorage(config) as RedisStorage;
      const id = generateSessionId();
      expect(bus.channelOf(id)).toBe(`${storage.keyOf(id)}:bus`);
      expect(bus.channelOf(id).startsWith(`tenant-a:{${id}}`)).toBe(true);
      await bus.close();
      await storage.close();
    });
  });

  it("maps Sentinel and Cluster the way the storage connects, passwords included, durability left out", () => {
    expect(
      redisMessageBusOptions({
        kind: "redis",
        sentinel: {
          masterName: "mymaster",
          sentinels: ["10.0.0.1:26379", "10.0.0.2:26379"],
          password: "s3cret",
        },
        keyPrefix: "p:",
        durability: { replicas: 1 },
      }),
    ).toEqual({
      keyPrefix: "p:",
      redis: {
        name: "mymaster",
        sentinels: [
          { host: "10.0.0.1", port: 26379 },
          { host: "10.0.0.2", port: 26379 },
        ],
        password: "s3cret",
      },
    });
    expect(
      redisMessageBusOptions({
        kind: "redis",
        cluster: { nodes: ["redis-0:6379", "redis-1:6380"], password: "pw" },
      }),
    ).toEqual({
      cluster: {
        nodes: [
          { host: "redis-0", port: 6379 },
          { host: "redis-1", port: 6380 },
        ],
        options: { redisOptions: { password: "pw" } },
      },
    });
    expect(redisMessageBusOptions({ kind: "redis", url: "redis://h:1/0" })).toEqual({
      url: "redis://h:1/0",
    });
  });
});
