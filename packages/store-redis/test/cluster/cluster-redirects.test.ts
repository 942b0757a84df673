import {
  beginSlotMigration,
  type ClusterNodeInfo,
  clusterPrimaries,
  type RedisCluster,
  requireRedisServer,
  startRedisCluster,
  waitUntil,
} from "@vmcp/redis-harness";
import { RedisStorage } from "@vmcp/store-redis";
import { Cluster } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { idsInSlots, keySlot, uniquePrefix } from "../fixtures.js";

requireRedisServer();

let cluster: RedisCluster;
let admin: Cluster;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster({ primaries: 3 });
  admin = new Cluster([...cluster.nodes]);
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  admin?.disconnect();
  await cluster?.close();
});

/**
 * A storage on its own Cluster client, configured as the storage configures the clients it
 * builds, so the test can watch the client's slot map.
 */
function open(enableAutoPipelining: boolean): { storage: RedisStorage; client: Cluster } {
  const client = new Cluster([...cluster.nodes], {
    enableAutoPipelining,
    enableOfflineQueue: false,
    redisOptions: { maxRetriesPerRequest: 0, commandTimeout: 2_000 },
  });
  const storage = new RedisStorage({
    client,
    keyPrefix: uniquePrefix("redirect"),
    timeoutMs: 3_000,
  });
  cleanups.push(() => client.disconnect());
  cleanups.push(() => storage.close());
  return { storage, client };
}

function owns(node: ClusterNodeInfo, slot: number): boolean {
  return node.slots.some(([first, last]) => slot >= first && slot <= last);
}

/**
 * Two IDs on the same primary in different slots (so one auto-pipeline carries both), the slot of
 * the first, its owner and another primary to move it to.
 */
async function sameNodePair(storage: RedisStorage, label: string) {
  const primaries = await clusterPrimaries(cluster);
  const [source, target] = primaries;
  if (source === undefined || target === undefined) throw new Error("too few primaries");
  const [moving, staying] = idsInSlots(
    label,
    2,
    (id) => storage.keyOf(id),
    (slot) => owns(source, slot),
  );
  if (moving === undefined || staying === undefined) throw new Error("no IDs found");
  const slot = keySlot(storage.keyOf(moving));
  if (slot === keySlot(storage.keyOf(staying))) throw new Error("the two IDs share a slot");
  // The local slot function agrees with the server's.
  expect(await admin.cluster("KEYSLOT", storage.keyOf(moving))).toBe(slot);
  return { moving, staying, slot, source, target };
}

for (const autoPipelining of [true, false]) {
  describe(`RedisStorage follows Cluster redirects, auto-pipelining ${autoPipelining ? "on" : "off"}`, () => {
    it("follows MOVED after a slot changed owner, and refreshes the slot map", async () => {
      const { storage, client } = open(autoPipelining);
      const { moving, staying, slot, source, target } = await sameNodePair(
        storage,
        `moved-${autoPipelining}`,
      );
      await storage.create({ id: moving, metadata: { k: "moving" } });
      await storage.create({ id: staying, metadata: { k: "staying" } });
      expect(client.slots[slot]?.[0]).toBe(`127.0.0.1:${source.port}`);

      const migration = await beginSlotMigration(cluster, slot, source, target);
      await migration.finish();

      // Sent in one tick: with auto-pipelining, one pipeline to the old owner carries a success
      // (the staying session) and a MOVED (the moving one).
      const [movedLoad, stayingLoad, movedUpdate, stayingUpdate] = await Promise.all([
        storage.load(moving),
        storage.load(staying),
        storage.update(moving, { set: { after: "1" } }),
        storage.update(staying, { set: { after: "1" } }),
      ]);
      expect(movedLoad?.metadata).toEqual({ k: "moving" });
      expect(stayingLoad?.metadata).toEqual({ k: "staying" });
      expect(movedUpdate).toBe(true);
      expect(stayingUpdate).toBe(true);
      // The client learnt the new owner without waiting for its periodic refresh (5 s).
      await waitUntil(
        "the slot map to name the new owner",
        async () => client.slots[slot]?.[0] === `127.0.0.1:${target.port}`,
        2_000,
      );
      const [again, other] = await Promise.all([storage.load(moving), storage.load(staying)]);
      expect(again?.metadata).toEqual({ k: "moving", after: "1" });
      expect(other?.metadata).toEqual({ k: "staying", after: "1" });
    });

    it("follows ASK while a slot is half migrated, for existing and new sessions", async () => {
      const { storage } = open(autoPipelining);
      const { moving, staying, slot, source, target } = await sameNodePair(
        storage,
        `ask-${autoPipelining}`,
      );
      // A third session in the moving slot that does not exist yet: the source answers ASK for it.
      const [fresh] = idsInSlots(
        `ask-fresh-${autoPipelining}`,
        1,
        (id) => storage.keyOf(id),
        (candidate) => candidate === slot,
      );
      if (fresh === undefined) throw new Error("no ID found");
      await storage.create({ id: moving, metadata: { k: "moving" } });
      await storage.create({ id: staying, metadata: { k: "staying" } });

      const migration = await beginSlotMigration(cluster, slot, source, target);
      try {
        expect(await migration.moveKeys()).toBe(1);
        const results = await Promise.all([
          storage.load(moving),
          storage.load(staying),
          storage.update(moving, { set: { during: "1" } }),
          storage.create({ id: fresh, metadata: { k: "fresh" } }),
          storage.touch(staying, Date.now() + 60_000),
        ]);
        expect(results[0]?.metadata).toEqual({ k: "moving" });
        expect(results[1]?.metadata).toEqual({ k: "staying" });
        expect(results.slice(2)).toEqual([true, true, true]);
        const [moved, created] = await Promise.all([storage.load(moving), storage.load(fresh)]);
        expect(moved?.metadata).toEqual({ k: "moving", during: "1" });
        expect(created?.metadata).toEqual({ k: "fresh" });
      } finally {
        await migration.finish();
      }
      const [afterMove, deleted] = await Promise.all([storage.load(fresh), storage.delete(moving)]);
      expect(afterMove?.metadata).toEqual({ k: "fresh" });
      expect(deleted).toBe(true);
    });
  });
}
