import {
  type RedisServer,
  requireRedisServer,
  type SentinelGroup,
  startSentinelGroup,
  waitUntil,
} from "@vmcp/redis-harness";
import { RedisStorage } from "@vmcp/store-redis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  durabilityOptions,
  expectNone,
  FaultTestMs,
  type StreamFigures,
  streamThroughFault,
} from "../fault-streams.js";
import { uniquePrefix } from "../fixtures.js";
import { type Acknowledged, sleep } from "../write-stream.js";

requireRedisServer();

/** How long after Sentinel names the new master the storage may still write to the old one, ms. */
const SwitchGraceMs = 1_000;

let group: SentinelGroup;
const opened: RedisStorage[] = [];

beforeAll(async () => {
  group = await startSentinelGroup();
});

beforeEach(async () => {
  // Each test starts from a master with an in-sync replica that Sentinel may promote (the
  // previous test's old master is demoted, or rejoined, by then).
  await waitUntil(
    "a replica in sync with the master, known to Sentinel",
    async () => {
      const master = await currentMasterServer();
      const other = master === group.master ? group.replica : group.master;
      if (!other.running) return false;
      const info = await other.cli("INFO", "replication");
      if (!/master_link_status:up/.test(info) || !info.includes(`master_port:${master.port}`)) {
        return false;
      }
      const replicas = await group.sentinel.cli("SENTINEL", "REPLICAS", group.masterName);
      return /\nflags\nslave\n/.test(replicas) && /master-link-status\nok/.test(replicas);
    },
    40_000,
  );
});

afterEach(async () => {
  for (const storage of opened.splice(0)) await storage.close();
});

afterAll(async () => {
  await group?.close();
});

function open(keyPrefix: string, durable: boolean): RedisStorage {
  const storage = new RedisStorage({
    redis: { sentinels: [...group.sentinels], name: group.masterName },
    keyPrefix,
    ...durabilityOptions(durable),
  });
  opened.push(storage);
  return storage;
}

/** The member that is the master now. */
async function currentMasterServer(): Promise<RedisServer> {
  const { port } = await group.currentMaster();
  return port === group.master.port ? group.master : group.replica;
}

/**
 * {@link streamThroughFault} with `fault` applied to the master of the moment, and
 * `afterSwitch` given that old master.
 */
function streamThrough(
  name: string,
  fault: (master: RedisServer) => Promise<void>,
  afterSwitch: (oldMaster: RedisServer) => Promise<void> = async () => undefined,
) {
  let oldMaster: RedisServer | undefined;
  return streamThroughFault({
    name,
    open,
    fault: async () => {
      oldMaster = await currentMasterServer();
      await fault(oldMaster);
    },
    afterSwitch: async () => {
      if (oldMaster !== undefined) await afterSwitch(oldMaster);
    },
  });
}

/** The plain stream's lost writes that were acknowledged well after the switch (a stale master). */
function lostAfterSwitch(figures: StreamFigures, switchedAt: number): Acknowledged[] {
  return figures.lost.filter((ack) => ack.at > switchedAt + SwitchGraceMs);
}

describe("Sentinel: acknowledged writes across a failover", () => {
  it(
    "SENTINEL FAILOVER: none lost with durability on; the client leaves the old master at the switch",
    async () => {
      const { durable, plain, switchedAt } = await streamThrough("SENTINEL FAILOVER", async () => {
        await group.failover();
      });
      expectNone(durable.lost);
      // Before the failover detector, writes went on to the demoted master for seconds.
      expectNone(lostAfterSwitch(plain, switchedAt));
      expect(durable.acknowledged).toBeGreaterThanOrEqual(300);
    },
    FaultTestMs,
  );

  for (const [stop, how] of [
    ["SIGKILL", (master: RedisServer) => master.kill()],
    ["SHUTDOWN", (master: RedisServer) => master.shutdown()],
  ] as const) {
    it(
      `${stop} of the master: none lost with durability on`,
      async () => {
        const { durable, plain, switchedAt } = await streamThrough(
          stop,
          async (master) => {
            const before = await group.currentMaster();
            await how(master);
            await group.waitForFailover(before.port);
          },
          // With its only replica gone, the new master cannot confirm durable writes until one joins.
          (oldMaster) => group.rejoinAsReplica(oldMaster),
        );
        expectNone(durable.lost);
        expectNone(lostAfterSwitch(plain, switchedAt));
        expect(durable.rejected).toBeGreaterThan(0);
      },
      FaultTestMs,
    );
  }
});

describe("Sentinel: the failover detector's connections", () => {
  /** Pub/sub connections the Sentinel holds now (the detector's subscriptions). */
  async function subscribers(): Promise<number> {
    const list = await group.sentinel.cli("CLIENT", "LIST");
    return list.split("\n").filter((line) => / sub=[1-9]/.test(line)).length;
  }

  it("subscribes to the Sentinel, and close() leaves no connection behind", async () => {
    expect(await subscribers()).toBe(0);
    const storage = open(uniquePrefix("detector"), false);
    await storage.ping();
    await waitUntil("the detector's subscription", async () => (await subscribers()) === 1, 5_000);
    // Closed at once, and closed while still connecting.
    const early = open(uniquePrefix("detector"), false);
    void early.ping().catch(() => undefined);
    await early.close();
    const connecting = open(uniquePrefix("detector"), false);
    void connecting.ping().catch(() => undefined);
    await sleep(5);
    await connecting.close();
    await storage.close();
    await sleep(500);
    await waitUntil("no subscription left", async () => (await subscribers()) === 0, 5_000);
  });
});
