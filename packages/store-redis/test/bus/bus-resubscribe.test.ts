/**
 * How the Redis bus subscribes again after its connections are cut: a cut that lands on the
 * resubscribe itself, and connections cut over and over while the bus publishes, subscribes and
 * unsubscribes. No command's failure may reach the process as an unhandled rejection (the
 * fixture fails a test that leaves one), and every subscription delivers again afterwards.
 */
import { delay, requireRedisServer, waitUntil } from "@vmcp/redis-harness";
import { BusUnavailableError, generateSessionId, type SessionMessageBus } from "@vmcp/session-core";
import { RedisMessageBus, type RedisMessageBusOptions } from "@vmcp/store-redis";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { uniquePrefix, useFaultServer } from "../fixtures.js";
import { startCuttingProxy } from "./cutting-proxy.js";

requireRedisServer();

const fixture = useFaultServer<{ close(): Promise<void> }>();
const { opened } = fixture;

/** How long delivery may take to resume once the cuts stop, ms (a few reconnects, with slack). */
const ResumeWaitMs = 10_000;

/** How many of the bus's connections the storm test cuts. */
const KilledConnections = 60;

function open(options: Partial<RedisMessageBusOptions> = {}): RedisMessageBus {
  const bus = new RedisMessageBus({
    url: fixture.server.url,
    keyPrefix: uniquePrefix("bus"),
    ...options,
  });
  opened.push(bus);
  return bus;
}

/** A subscription of `bus` to `id` with the messages it received. */
async function listen(bus: SessionMessageBus, id: string) {
  const messages: string[] = [];
  const subscription = await bus.subscribe(id, (message) => messages.push(message));
  return { id, messages, subscription };
}

/**
 * Publishes `<label>-<n>` for `id` through `bus` until `messages` holds one of them (failed
 * publishes are retried: the bus may still be reconnecting), or fails after
 * {@link ResumeWaitMs}.
 */
async function publishUntilReceived(
  bus: SessionMessageBus,
  id: string,
  label: string,
  messages: readonly string[],
): Promise<void> {
  let n = 0;
  await waitUntil(
    `a "${label}" message delivered again`,
    async () => {
      await bus.publish(id, `${label}-${n++}`).catch(() => undefined);
      return messages.some((message) => message.startsWith(`${label}-`));
    },
    ResumeWaitMs,
  );
}

describe("RedisMessageBus after its connections are cut", () => {
  it("subscribes again when the cut lands on its own resubscribe, with no unhandled rejection", async () => {
    const proxy = await startCuttingProxy(fixture.server.port);
    opened.push(proxy);
    const bus = open({ url: proxy.url });
    const publisher = open({ keyPrefix: bus.keyPrefix });
    const id = generateSessionId();
    const { messages } = await listen(bus, id);
    await publisher.publish(id, "before");
    await waitUntil("the first message", async () => messages.includes("before"), 5_000);
    // The next three SUBSCRIBEs are the bus's own, each sent after a reconnect: cut them all.
    proxy.cutSubscribes(3);
    expect(Number(await fixture.server.cli("CLIENT", "KILL", "TYPE", "pubsub"))).toBe(1);
    await waitUntil("three resubscribes cut", async () => proxy.cut === 3, ResumeWaitMs);
    await publishUntilReceived(publisher, id, "after", messages);
  });

  it("settles every call, typed, while its connections are cut over and over, and every subscription delivers again", async () => {
    const bus = open();
    const publisher = open({ keyPrefix: bus.keyPrefix });
    const killer = new Redis(fixture.server.url);
    opened.push({ close: async () => void killer.disconnect() });
    const kept = await Promise.all(
      Array.from({ length: 4 }, () => listen(bus, generateSessionId())),
    );
    const failures: unknown[] = [];
    const note = (call: Promise<unknown>) => call.catch((error: unknown) => failures.push(error));
    let storming = true;
    // The bus publishes, subscribes and unsubscribes for as long as the cuts go on.
    const churn = (async () => {
      while (storming) {
        const work = kept.map(({ id }) => note(bus.publish(id, "during")));
        work.push(note(bus.subscribe(generateSessionId(), () => {}).then((s) => s.unsubscribe())));
        await Promise.all(work);
      }
    })();
    // Cuts the bus's connections (CLIENT KILL skips the killer's own) a few ms apart, so they
    // land everywhere: mid-handshake, just after a reconnect, on a command in flight.
    let killed = 0;
    try {
      while (killed < KilledConnections) {
        for (const type of ["pubsub", "normal"]) {
          killed += Number(await killer.call("CLIENT", "KILL", "TYPE", type));
        }
        await delay(Math.random() * 4);
      }
    } finally {
      storming = false;
      await churn;
    }
    expect(failures.length).toBeGreaterThan(0);
    for (const error of failures) expect(error).toBeInstanceOf(BusUnavailableError);
    for (const { id, messages } of kept) {
      await publishUntilReceived(publisher, id, "after", messages);
    }
  });
});
