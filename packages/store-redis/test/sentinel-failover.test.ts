import { requireRedisServer, type SentinelGroup, startSentinelGroup } from "@vmcp/redis-harness";
import { StorageUnavailableError } from "@vmcp/session-core";
import { RedisStorage } from "@vmcp/store-redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniquePrefix } from "./fixtures.js";

requireRedisServer();

describe("Sentinel failover", () => {
  let group: SentinelGroup;
  beforeAll(async () => {
    group = await startSentinelGroup();
  });
  afterAll(async () => {
    await group?.close();
  });

  it("loses no acknowledged write when the master stops mid-stream", async () => {
    const keyPrefix = uniquePrefix("failover");
    const connection = { redis: { sentinels: [...group.sentinels], name: group.masterName } };
    const storage = new RedisStorage({ ...connection, keyPrefix });
    try {
      await storage.create({ id: "stream" });
      const acknowledged: string[] = [];
      const rejected: unknown[] = [];
      let sequence = 0;
      let acknowledgedAfterFailover = 0;
      let failedOver = false;

      // Four writers, each creating sessions and adding keys to one shared session, until the
      // failover is over and more writes have landed on the new master.
      const writer = async (): Promise<void> => {
        while (!failedOver || acknowledgedAfterFailover < 100) {
          const n = sequence++;
          const write =
            n % 2 === 0
              ? storage.create({ id: `w-${n}`, metadata: { n: String(n) } })
              : storage.update("stream", { set: { [`k-${n}`]: String(n) } });
          try {
            if (!(await write)) throw new Error(`write ${n} was refused`);
            acknowledged.push(String(n));
            if (failedOver) acknowledgedAfterFailover++;
          } catch (error) {
            rejected.push(error);
            if (!(error instanceof StorageUnavailableError)) throw error;
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        }
      };
      let writerFailure: unknown;
      const writers = Array.from({ length: 4 }, () =>
        writer().catch((error: unknown) => {
          writerFailure = error;
          failedOver = true;
          throw error;
        }),
      );

      while (acknowledged.length < 200 && writerFailure === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      if (writerFailure !== undefined) await Promise.all(writers);
      const oldMaster = await group.currentMaster();
      await group.master.stop();
      const newMaster = await group.waitForFailover(oldMaster.port);
      failedOver = true;
      await Promise.all(writers);

      expect(newMaster.port).toBe(group.replica.port);
      // The stream did run into the failover window, and every rejection there was typed (the
      // writers rethrow anything else).
      expect(rejected.length).toBeGreaterThan(0);
      for (const error of rejected) expect(error).toBeInstanceOf(StorageUnavailableError);
      // Every acknowledged write reads back from the new master, through a fresh storage too.
      const reader = new RedisStorage({ ...connection, keyPrefix });
      try {
        const stream = await reader.load("stream");
        for (const n of acknowledged) {
          if (Number(n) % 2 === 0) {
            expect((await reader.load(`w-${n}`))?.metadata, `create ${n}`).toEqual({ n });
          } else {
            expect(stream?.metadata[`k-${n}`], `update ${n}`).toBe(n);
          }
        }
      } finally {
        await reader.close();
      }
      expect(acknowledged.length).toBeGreaterThanOrEqual(300);
    } finally {
      await storage.close();
    }
  });
});
