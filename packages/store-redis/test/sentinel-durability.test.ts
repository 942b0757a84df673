import {
  type RedisServer,
  requireRedisServer,
  type SentinelGroup,
  startSentinelGroup,
  waitUntil,
} from "@vmcp/redis-harness";
import { RedisStorage } from "@vmcp/store-redis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { uniquePrefix } from "./fixtures.js";
import { type Acknowledged, sleep, until, WriteStream } from "./write-stream.js";

requireRedisServer();

/** The WAIT timeout of the durable stream, ms (below the default 1500 ms bound). */
const WaitTimeoutMs = 500;
/** The bound of each fault test, ms: a failover, a rejoin and 300 writes on a busy machine. */
const FaultTestMs = 90_000;
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
    ...(durable ? { durability: { replicas: 1, timeoutMs: WaitTimeoutMs } } : {}),
  });
  opened.push(storage);
  return storage;
}

/** The member that is the master now. */
async function currentMasterServer(): Promise<RedisServer> {
  const { port } = await group.currentMaster();
  return port === group.master.port ? group.master : group.replica;
}

interface StreamFigures {
  acknowledged: number;
  rejected: number;
  lost: Acknowledged[];
}

/**
 * Runs two streams of creates and updates at once, one with durability on and one without,
 * applies `fault` to the master mid-stream (it resolves once Sentinel named the new master),
 * keeps writing until both streams had 100 writes acknowledged after the switch, then reads
 * every acknowledged write back from the new master through a fresh storage.
 */
async function streamThrough(
  name: string,
  fault: (master: RedisServer) => Promise<void>,
  afterSwitch: (oldMaster: RedisServer) => Promise<void> = async () => undefined,
): Promise<{ durable: StreamFigures; plain: StreamFigures; switchedAt: number }> {
  const prefixes = { durable: uniquePrefix(`${name}-on`), plain: uniquePrefix(`${name}-off`) };
  const durable = new WriteStream(open(prefixes.durable, true));
  const plain = new WriteStream(open(prefixes.plain, false));
  const streams = [durable, plain];
  await Promise.all(streams.map((stream) => stream.start()));
  const healthy = () => streams.every((s) => s.unexpected.length === 0);
  await until(
    "200 writes acknowledged by each stream",
    () => !healthy() || streams.every((s) => s.acknowledgedSince() >= 200),
    20_000,
  );
  const oldMaster = await currentMasterServer();
  await fault(oldMaster);
  const switchedAt = Date.now();
  await afterSwitch(oldMaster);
  await until(
    "100 writes acknowledged by each stream after the switch",
    () => !healthy() || streams.every((s) => s.acknowledgedSince(switchedAt) >= 100),
    30_000,
    () =>
      streams
        .map(
          (s) => `${s.acknowledgedSince(switchedAt)} (last error: ${s.rejected.at(-1)?.message})`,
        )
        .join(", "),
  );
  await Promise.all(streams.map((stream) => stream.stop()));
  for (const stream of streams) expect(stream.unexpected).toEqual([]);
  const figures = async (stream: WriteStream, prefix: string): Promise<StreamFigures> => ({
    acknowledged: stream.acknowledged.length,
    rejected: stream.rejected.length,
    lost: await stream.missing(open(prefix, false)),
  });
  const result = {
    durable: await figures(durable, prefixes.durable),
    plain: await figures(plain, prefixes.plain),
    switchedAt,
  };
  console.log(
    `${name}: durability on: ${result.durable.acknowledged} acknowledged, ` +
      `${result.durable.rejected} rejected, ${result.durable.lost.length} lost; ` +
      `off: ${result.plain.acknowledged} acknowledged, ${result.plain.rejected} rejected, ` +
      `${result.plain.lost.length} lost`,
  );
  return result;
}

/** Asserts that no write is in `lost`, naming the first few otherwise. */
function expectNone(lost: readonly Acknowledged[]): void {
  expect(lost.length, `lost: ${JSON.stringify(lost.slice(0, 3))}…`).toBe(0);
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

  it(
    "SIGKILL of the master: none lost with durability on",
    async () => {
      const { durable, plain, switchedAt } = await streamThrough(
        "SIGKILL",
        async (master) => {
          const before = await group.currentMaster();
          await master.kill();
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

  it(
    "SHUTDOWN of the master: none lost with durability on",
    async () => {
      const { durable, plain, switchedAt } = await streamThrough(
        "SHUTDOWN",
        async (master) => {
          const before = await group.currentMaster();
          await master.shutdown();
          await group.waitForFailover(before.port);
        },
        (oldMaster) => group.rejoinAsReplica(oldMaster),
      );
      expectNone(durable.lost);
      expectNone(lostAfterSwitch(plain, switchedAt));
      expect(durable.rejected).toBeGreaterThan(0);
    },
    FaultTestMs,
  );
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
