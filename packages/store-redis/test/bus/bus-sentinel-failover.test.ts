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
import { uniquePrefix } from "../fixtures.js";
import { deliveryAcrossFault } from "./bus-streams.js";

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
function acrossFault(sentinel: SentinelGroup, fault: () => Promise<void>): Promise<void> {
  const keyPrefix = uniquePrefix("bus-sentinel");
  return deliveryAcrossFault(() => openBus(sentinel, keyPrefix), generateSessionId(), fault);
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
