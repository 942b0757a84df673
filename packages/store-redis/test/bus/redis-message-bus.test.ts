/**
 * What the Redis bus does beyond the shared contract (whose conformance suite runs in
 * bus-conformance.test.ts): one server subscription per channel, unsubscribes that survive an
 * outage, back-pressure, throwing handlers, a client handed in, a server never reachable, and
 * its configuration.
 */
import { freePort, releasePort, requireRedisServer, waitUntil } from "@vmcp/redis-harness";
import { BusUnavailableError, generateSessionId } from "@vmcp/session-core";
import { RedisMessageBus, type RedisMessageBusOptions } from "@vmcp/store-redis";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { uniquePrefix, useFaultServer } from "../fixtures.js";
import { useBusInChild } from "./bus-exit.js";

requireRedisServer();

const fixture = useFaultServer<RedisMessageBus>();
const { opened } = fixture;

function open(options: Partial<RedisMessageBusOptions> = {}): RedisMessageBus {
  const bus = new RedisMessageBus({
    url: fixture.server.url,
    keyPrefix: uniquePrefix("bus"),
    ...options,
  });
  opened.push(bus);
  return bus;
}

/** How many connections the server has subscribed to `channel`. */
async function subscribers(channel: string): Promise<number> {
  const reply = await fixture.server.cli("PUBSUB", "NUMSUB", channel);
  return Number(reply.split("\n")[1]);
}

/** How many SUBSCRIBE commands the server ran since the last `CONFIG RESETSTAT`. */
async function subscribeCalls(): Promise<number> {
  const stats = await fixture.server.cli("INFO", "commandstats");
  return Number(/cmdstat_subscribe:calls=(\d+)/.exec(stats)?.[1] ?? 0);
}

/** Resolves with the next message `bus` delivers for `id` after `publish` ran. */
async function nextMessage(bus: RedisMessageBus, id: string, publish: () => Promise<void>) {
  let resolve: (message: string) => void = () => {};
  const arrived = new Promise<string>((r) => {
    resolve = r;
  });
  const subscription = await bus.subscribe(id, (message) => resolve(message));
  await publish();
  const message = await arrived;
  await subscription.unsubscribe();
  return message;
}

describe("RedisMessageBus", () => {
  it("names a session's channel <prefix>{<id>}:bus, escaping braces and % like the storage's keys", () => {
    const bus = open({ keyPrefix: "app:" });
    expect(bus.channelOf("abc")).toBe("app:{abc}:bus");
    expect(bus.channelOf("a{b}%c")).toBe("app:{a%7Bb%7D%25c}:bus");
    expect(open().keyPrefix).toMatch(/^test:bus:/);
    const defaults = new RedisMessageBus({ url: fixture.server.url });
    opened.push(defaults);
    expect(defaults.keyPrefix).toBe("vmcp:session:");
  });

  it("holds one server subscription per channel however many local ones, and none after unsubscribe or close", async () => {
    const bus = open();
    const other = open({ keyPrefix: bus.keyPrefix });
    const id = generateSessionId();
    const channel = bus.channelOf(id);
    const local = await Promise.all([1, 2, 3].map(() => bus.subscribe(id, () => {})));
    expect(await subscribers(channel)).toBe(1);
    await other.subscribe(id, () => {});
    expect(await subscribers(channel)).toBe(2);
    await local[0]?.unsubscribe();
    await local[1]?.unsubscribe();
    expect(await subscribers(channel)).toBe(2);
    await local[2]?.unsubscribe();
    expect(await subscribers(channel)).toBe(1);
    await other.close();
    await waitUntil(
      "the closed bus's subscription to go",
      async () => (await subscribers(channel)) === 0,
      5_000,
    );
  });

  it("shares one SUBSCRIBE among concurrent subscribes to one session, and sends one for a later subscribe", async () => {
    const bus = open();
    const id = generateSessionId();
    await bus.publish(id, "warm");
    await fixture.server.cli("CONFIG", "RESETSTAT");
    const subscriptions = await Promise.all(
      Array.from({ length: 50 }, () => bus.subscribe(id, () => {})),
    );
    expect(subscriptions).toHaveLength(50);
    // The first goes alone; the 49 queued behind it were made before its reply: they share it.
    expect(await subscribeCalls()).toBe(1);
    await bus.subscribe(id, () => {});
    expect(await subscribeCalls()).toBe(2);
  });

  it("resolves an unsubscribe Redis cannot hear, stops delivering at once, and unsubscribes after the reconnect", async () => {
    const bus = open();
    const [gone, kept] = [generateSessionId(), generateSessionId()];
    const late: string[] = [];
    const leaving = await bus.subscribe(gone, (message) => late.push(message));
    const staying: string[] = [];
    await bus.subscribe(kept, (message) => staying.push(message));
    await fixture.server.stop();
    await leaving.unsubscribe();
    await fixture.server.restart();
    // The kept channel is subscribed again on its own; the abandoned one is not left behind.
    await waitUntil(
      "the kept channel back and the abandoned one gone",
      async () =>
        (await subscribers(bus.channelOf(kept))) === 1 &&
        (await subscribers(bus.channelOf(gone))) === 0,
      10_000,
    );
    const publisher = open({ keyPrefix: bus.keyPrefix });
    await publisher.publish(gone, "after");
    await publisher.publish(kept, "after");
    await waitUntil(
      "the kept subscription's message",
      async () => staying.includes("after"),
      5_000,
    );
    expect(late).toEqual([]);
  });

  it("refuses a publish past maxPendingPublishes at once with BusUnavailableError while Redis is slow", async () => {
    const bus = open({ maxPendingPublishes: 2, timeoutMs: 3_000 });
    const id = generateSessionId();
    await bus.publish(id, "warm");
    fixture.server.pause();
    const settled: string[] = [];
    const first = bus.publish(id, "1").then(
      () => settled.push("1"),
      () => settled.push("1 failed"),
    );
    const second = bus.publish(id, "2").then(
      () => settled.push("2"),
      () => settled.push("2 failed"),
    );
    const refused = await bus.publish(id, "3").catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BusUnavailableError);
    expect(String(refused)).toMatch(/2 publishes waiting/);
    expect(settled).toEqual([]);
    fixture.server.resume();
    await Promise.all([first, second]);
    await bus.publish(id, "4");
  });

  it("reports a throwing handler and still delivers to the other subscriptions", async () => {
    const reported: string[] = [];
    const bus = open({
      onHandlerError: (error, sessionId) => reported.push(`${sessionId}: ${String(error)}`),
    });
    const id = generateSessionId();
    await bus.subscribe(id, () => {
      throw new Error("boom");
    });
    expect(await nextMessage(bus, id, () => bus.publish(id, "m"))).toBe("m");
    expect(reported).toEqual([`${id}: Error: boom`]);
  });

  it("publishes through a client it is handed, and leaves it open with none of its listeners", async () => {
    const client = new Redis(fixture.server.url);
    try {
      const before = { error: client.listenerCount("error"), ready: client.listenerCount("ready") };
      const bus = new RedisMessageBus({ client, keyPrefix: uniquePrefix("given") });
      const id = generateSessionId();
      expect(await nextMessage(bus, id, () => bus.publish(id, "via your client"))).toBe(
        "via your client",
      );
      await bus.close();
      expect(await client.ping()).toBe("PONG");
      expect(client.listenerCount("error")).toBe(before.error);
      expect(client.listenerCount("ready")).toBe(before.ready);
    } finally {
      client.disconnect();
    }
  });

  it("rejects publish and subscribe with BusUnavailableError when Redis was never reachable, and closes", async () => {
    const port = await freePort();
    try {
      const bus = new RedisMessageBus({ url: `redis://127.0.0.1:${port}`, timeoutMs: 300 });
      await expect(bus.publish(generateSessionId(), "m")).rejects.toBeInstanceOf(
        BusUnavailableError,
      );
      await expect(bus.subscribe(generateSessionId(), () => {})).rejects.toBeInstanceOf(
        BusUnavailableError,
      );
      await bus.close();
    } finally {
      releasePort(port);
    }
  });

  it("leaves nothing behind: a process that used and closed it exits on its own", async () => {
    expect(await useBusInChild({ url: fixture.server.url, keyPrefix: uniquePrefix("exit") })).toBe(
      "hello",
    );
  });

  it("refuses ambiguous or unsafe configuration", () => {
    expect(() => new RedisMessageBus({})).toThrow(TypeError);
    expect(() => new RedisMessageBus({ url: fixture.server.url, keyPrefix: "a{b" })).toThrow(
      TypeError,
    );
    expect(
      () => new RedisMessageBus({ url: fixture.server.url, redis: { keyPrefix: "x:" } }),
    ).toThrow(TypeError);
    for (const bound of ["timeoutMs", "maxMessageBytes", "maxPendingPublishes"] as const) {
      expect(() => new RedisMessageBus({ url: fixture.server.url, [bound]: 0 })).toThrow(
        RangeError,
      );
      expect(() => new RedisMessageBus({ url: fixture.server.url, [bound]: 1.5 })).toThrow(
        RangeError,
      );
    }
  });
});
