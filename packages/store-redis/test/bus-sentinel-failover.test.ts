/**
 * The Redis bus through Sentinel failovers: a manual `SENTINEL FAILOVER` and a killed master.
 * Under two steady streams of publishes (one per bus, each bus subscribed), delivery resumes
 * in both directions once Sentinel has switched, with every message at most once and in order,
 * and every failed publish a `BusUnavailableError`; a bus opened after the switch reaches the
 * old buses both ways (they followed `+switch-master`, not stayed on the demoted master).
 */
import { requireRedisServer, type SentinelGroup, startSentinelGroup } from "@vmcp/redis-harness";
import { generateSessionId } from "@vmcp/session-core";
import { RedisMessageBus } from "@vmcp/store-redis";
import { afterEach, describe, it } from "vitest";
import {
  expectAtMostOnceInOrder,
  expectOnlyUnavailable,
  Inbox,
  startPublishing,
} from "./bus-streams.js";
import { uniquePrefix } from "./fixtures.js";

requireRedisServer();

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function group(): Promise<SentinelGroup> {
  const started = await startSentinelGroup();
  cleanups.push(() => started.close());
  return started;
}

function openBus(sentinel: SentinelGroup, keyPrefix: string): RedisMessageBus {
  const bus = new RedisMessageBus({
    redis: { sentinels: [...sentinel.sentinels], name: sentinel.masterName },
    keyPrefix,
  });
  cleanups.push(() => bus.close());
  return bus;
}

/** Runs two streams across `fault` and checks delivery before, after and through it. */
async function acrossFault(sentinel: SentinelGroup, fault: () => Promise<void>): Promise<void> {
  const keyPrefix = uniquePrefix("bus-sentinel");
  const id = generateSessionId();
  const [a, b] = [openBus(sentinel, keyPrefix), openBus(sentinel, keyPrefix)];
  const [onA, onB] = [new Inbox(), new Inbox()];
  await a.subscribe(id, onA.handler);
  await b.subscribe(id, onB.handler);
  // A bus that only listens: it learns of the change from its own connections alone.
  const onD = new Inbox();
  await openBus(sentinel, keyPrefix).subscribe(id, onD.handler);
  const fromA = startPublishing(a, id, "a");
  const fromB = startPublishing(b, id, "b");
  // A bus that only publishes: it holds no subscription whose repair could route it.
  const fromE = startPublishing(openBus(sentinel, keyPrefix), id, "e");
  await onB.receivedAfter("a", 5);
  await onA.receivedAfter("b", 5);
  await fault();
  const [aAtSwitch, bAtSwitch, eAfter] = [fromA.next, fromB.next, fromE.next];
  for (const inbox of [onA, onB, onD]) {
    await inbox.receivedAfter("a", aAtSwitch);
    await inbox.receivedAfter("b", bAtSwitch);
    await inbox.receivedAfter("e", eAfter);
  }
  const streams = [await fromA.stop(), await fromB.stop(), await fromE.stop()];
  for (const inbox of [onA, onB, onD]) {
    for (const label of ["a", "b", "e"]) expectAtMostOnceInOrder(inbox, label);
  }
  expectOnlyUnavailable(streams.flatMap((stream) => stream.errors));
  // A bus opened now talks to the new master: the old ones must have followed it.
  const c = openBus(sentinel, keyPrefix);
  const onC = new Inbox();
  await c.subscribe(id, onC.handler);
  await a.publish(id, "to-c-0");
  await onC.receivedAfter("to-c", -1);
  await c.publish(id, "from-c-0");
  await onA.receivedAfter("from-c", -1);
  await onB.receivedAfter("from-c", -1);
}

describe("RedisMessageBus through Sentinel failovers", () => {
  it("follows a manual SENTINEL FAILOVER: delivery resumes both ways, at most once, in order", async () => {
    const sentinel = await group();
    await acrossFault(sentinel, async () => {
      await sentinel.failover();
    });
  }, 60_000);

  it("follows a killed master to the promoted replica: delivery resumes both ways", async () => {
    const sentinel = await group();
    await acrossFault(sentinel, async () => {
      const before = await sentinel.currentMaster();
      const master = before.port === sentinel.master.port ? sentinel.master : sentinel.replica;
      await master.kill();
      await sentinel.waitForFailover(before.port);
    });
  }, 60_000);
});
