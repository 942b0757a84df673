/**
 * A Sentinel failover under a node-redis Sentinel client the application owns: node-redis moves
 * to the new master itself; the storage keeps every call typed and bounded during the switch,
 * and works on the new master afterwards.
 */
import {
  requireRedisServer,
  type SentinelGroup,
  startSentinelGroup,
  waitForReplicaAcks,
  waitUntil,
} from "@vmcp/redis-harness";
import { StorageUnavailableError } from "@vmcp/session-core";
import { RedisStorage } from "@vmcp/store-redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { timed, uniquePrefix } from "../fixtures.js";
import { nodeRedisSentinel, type OpenNodeRedis } from "../node-redis.js";

requireRedisServer();

const TimeoutMs = 800;
let group: SentinelGroup;
let connection: OpenNodeRedis | undefined;

beforeAll(async () => {
  group = await startSentinelGroup();
});

/**
 * Runs `operation` until it does not reject with `StorageUnavailableError`: right after a
 * failover node-redis may still be settling on the new master (it asks Sentinel again, which a
 * busy machine delays, and logs "None of the sentinels are available" meanwhile), and a typed
 * refusal within the bound is what the storage promises then. Any other error fails at once.
 */
async function onceServed<T>(what: string, operation: () => Promise<T>): Promise<T> {
  let result: { value: T } | undefined;
  await waitUntil(
    what,
    async () => {
      const outcome = await timed(operation());
      if (outcome.error === undefined) result = { value: outcome.value as T };
      else if (!(outcome.error instanceof StorageUnavailableError)) throw outcome.error;
      return result !== undefined;
    },
    15_000,
  );
  return (result as { value: T }).value;
}

afterAll(async () => {
  await connection?.close();
  await group?.close();
});

describe("Sentinel failover with a node-redis Sentinel client", () => {
  it("keeps every call typed and bounded through SENTINEL FAILOVER, then writes to the new master", async () => {
    await connection?.close(); // a connection of an earlier try (vitest's retry under CI)
    connection = await nodeRedisSentinel(group.masterName, group.sentinels);
    const storage = new RedisStorage({
      client: connection.client,
      keyPrefix: uniquePrefix("node-redis-failover"),
      timeoutMs: TimeoutMs,
    });
    const before = Array.from({ length: 20 }, (_, i) => `before-${i}`);
    for (const id of before) expect(await storage.create({ id, metadata: { id } })).toBe(true);
    const oldMaster = await group.currentMaster();
    // SENTINEL FAILOVER does not wait for the replica to catch up: let it confirm these writes
    // first, so that "written before the failover" means "on both servers".
    await waitForReplicaAcks(oldMaster.port === group.master.port ? group.master : group.replica);

    // Two callers create and read sessions for as long as the failover takes (bounded).
    let stop = false;
    const outcomes: Array<{ ms: number; error?: unknown }> = [];
    const acknowledged: string[] = [];
    const caller = async (name: string): Promise<void> => {
      for (let n = 0; !stop && n < 20_000; n++) {
        const id = `${name}-${n}`;
        const outcome = await timed(storage.create({ id, metadata: { id } }));
        outcomes.push(outcome);
        if (outcome.error === undefined && outcome.value === true) acknowledged.push(id);
        outcomes.push(await timed(storage.load(before[n % before.length] ?? "")));
      }
    };
    const callers = [caller("a"), caller("b")];
    const newMaster = await group.failover();
    // Let the callers run on for a moment on the new master.
    await waitUntil(
      "a write acknowledged by the new master",
      async () => {
        const id = `probe-${Date.now()}`;
        return (await storage.create({ id, metadata: { id } })) === true;
      },
      15_000,
    );
    stop = true;
    await Promise.all(callers);

    expect(newMaster.port).not.toBe(oldMaster.port);
    expect(outcomes.length).toBeGreaterThan(0);
    for (const outcome of outcomes) {
      if (outcome.error !== undefined)
        expect(outcome.error).toBeInstanceOf(StorageUnavailableError);
      // The bound plus event-loop lag on a busy machine (1 s of slack).
      expect(outcome.ms).toBeLessThan(TimeoutMs + 1_000);
    }
    // Sessions written before the failover (and confirmed by the replica) are all there.
    for (const id of before) {
      const record = await onceServed(`a load of ${id}`, () => storage.load(id));
      expect(record?.metadata).toEqual({ id });
    }
    // The storage writes to the new master (the demoted one answers READONLY to writes). A create
    // refused typed may still have been applied, so its retry may answer false: the load decides.
    await onceServed("a create", () => storage.create({ id: "after", metadata: { a: "1" } }));
    expect((await onceServed("a load", () => storage.load("after")))?.metadata).toEqual({ a: "1" });
    // Writes went on during the switch (some acknowledged by the old master just before the
    // switch may be lost without durability: asynchronous replication, as with ioredis).
    expect(acknowledged.length).toBeGreaterThan(0);
    await storage.close();
  });
});
