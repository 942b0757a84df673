/**
 * `listIds` on a Cluster: every session that exists for the whole walk, exactly once, while
 * thousands of slots migrate; with a primary down, the reachable sessions and then a typed error
 * naming the rest.
 */
import {
  beginSlotMigration,
  clusterPrimaries,
  type RedisCluster,
  requireRedisServer,
  reshard,
  startRedisCluster,
  waitForAgreement,
  waitUntil,
} from "@vmcp/redis-harness";
import { StorageListIncompleteError } from "@vmcp/session-core";
import { RedisStorage } from "@vmcp/store-redis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { collect, idsInSlots, keySlot, uniquePrefix } from "../fixtures.js";

requireRedisServer();

const Sessions = 3_000;

let cluster: RedisCluster;
const opened: RedisStorage[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster({ primaries: 3, nodeTimeoutMs: 1_000 });
});

afterEach(async () => {
  for (const storage of opened.splice(0)) await storage.close();
});

afterAll(async () => {
  await cluster?.close();
});

function open(keyPrefix: string): RedisStorage {
  const storage = new RedisStorage({
    cluster: { nodes: [...cluster.nodes], options: { enableAutoPipelining: true } },
    keyPrefix,
  });
  opened.push(storage);
  return storage;
}

async function createSessions(storage: RedisStorage, label: string): Promise<string[]> {
  const ids = Array.from({ length: Sessions }, (_, i) => `${label}-${i}`);
  for (let i = 0; i < ids.length; i += 500) {
    await Promise.all(ids.slice(i, i + 500).map((id) => storage.create({ id })));
  }
  return ids;
}

/** The IDs yielded more than once. */
function duplicates(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  const twice: string[] = [];
  for (const id of ids) {
    if (seen.has(id)) twice.push(id);
    seen.add(id);
  }
  return twice;
}

describe("RedisStorage.listIds on a Cluster", () => {
  it(`yields each of ${Sessions} sessions exactly once while 2000 slots move and back`, async () => {
    await waitForAgreement(cluster);
    const storage = open(uniquePrefix("list-reshard"));
    const ids = await createSessions(storage, "listed");
    const expected = [...ids].sort();
    const [a, b] = await clusterPrimaries(cluster);
    if (a === undefined || b === undefined) throw new Error("too few primaries");

    let resharding = true;
    const moving = (async () => {
      try {
        await reshard(cluster, { from: a.id, to: b.id, slots: 2_000 });
        await reshard(cluster, { from: b.id, to: a.id, slots: 2_000 });
      } finally {
        resharding = false;
      }
    })();
    let walks = 0;
    const problems: string[] = [];
    while (resharding) {
      const listed = await collect(storage.listIds({ batchSize: 50 }));
      // Only walks that ran entirely during the reshard count.
      if (!resharding) break;
      walks++;
      const twice = duplicates(listed);
      const found = new Set(listed);
      const missed = ids.filter((id) => !found.has(id));
      if (twice.length > 0 || missed.length > 0 || found.size !== ids.length) {
        problems.push(`walk ${walks}: ${missed.length} missed, ${twice.length} duplicated`);
      }
    }
    await moving;
    console.log(`listIds during the reshard: ${walks} complete walks, ${problems.length} wrong`);
    expect(walks).toBeGreaterThan(2);
    expect(problems).toEqual([]);
    expect((await collect(storage.listIds())).sort()).toEqual(expected);
  }, 120_000);

  it("reads a half-migrated slot on both nodes and a moved slot at its new owner, each key once", async () => {
    await waitForAgreement(cluster);
    const storage = open(uniquePrefix("list-migrating"));
    const [a, b] = await clusterPrimaries(cluster);
    if (a === undefined || b === undefined) throw new Error("too few primaries");
    const [first] = a.slots;
    if (first === undefined) throw new Error("no slots on the first primary");
    // Two slots of the first primary, 40 sessions in each, and sessions elsewhere.
    const [halfSlot, movedSlot] = [first[0] + 7, first[0] + 8];
    const inSlot = (slot: number) =>
      idsInSlots(
        `slot-${slot}`,
        40,
        (id) => storage.keyOf(id),
        (found) => found === slot,
      );
    const ids = [...inSlot(halfSlot), ...inSlot(movedSlot)];
    ids.push(...Array.from({ length: 200 }, (_, i) => `spread-${i}`));
    await Promise.all(ids.map((id) => storage.create({ id })));
    expect((await collect(storage.listIds())).sort()).toEqual([...ids].sort());

    const half = await beginSlotMigration(cluster, halfSlot, a, b);
    const moved = await beginSlotMigration(cluster, movedSlot, a, b);
    try {
      expect(await half.moveKeys(20)).toBe(20);
      // The storage's slot map still names the old owner for the moved slot.
      await moved.finish();
      const listed = await collect(storage.listIds({ batchSize: 10 }));
      expect(duplicates(listed)).toEqual([]);
      expect([...listed].sort()).toEqual([...ids].sort());
    } finally {
      await half.finish();
    }
    const after = await collect(storage.listIds());
    expect(duplicates(after)).toEqual([]);
    expect([...after].sort()).toEqual([...ids].sort());
  });

  it("with a primary down, yields every reachable session and then names the unreachable slots", async () => {
    await waitForAgreement(cluster);
    const storage = open(uniquePrefix("list-down"));
    const ids = await createSessions(storage, "down");
    const primaries = await clusterPrimaries(cluster);
    const victim = primaries[primaries.length - 1];
    if (victim?.server === undefined) throw new Error("no primary to stop");
    const onVictim = (id: string): boolean => {
      const slot = keySlot(storage.keyOf(id));
      return victim.slots.some(([first, last]) => slot >= first && slot <= last);
    };
    const reachable = ids.filter((id) => !onVictim(id)).sort();
    expect(reachable.length).toBeLessThan(ids.length);
    expect(reachable.length).toBeGreaterThan(0);

    await victim.server.kill();
    try {
      /** One walk, checked: the reachable sessions once each, then the typed error. */
      const walk = async (lister: RedisStorage): Promise<void> => {
        const listed: string[] = [];
        let failure: unknown;
        const started = performance.now();
        try {
          for await (const id of lister.listIds()) listed.push(id);
        } catch (error) {
          failure = error;
        }
        const elapsed = performance.now() - started;
        expect(failure).toBeInstanceOf(StorageListIncompleteError);
        const incomplete = failure as StorageListIncompleteError;
        expect(incomplete.code).toBe("VMCP_STORAGE_LIST_INCOMPLETE");
        expect(incomplete.unreachable).toEqual([
          { node: `127.0.0.1:${victim.port}`, slotRanges: victim.slots },
        ]);
        expect(duplicates(listed)).toEqual([]);
        expect([...listed].sort()).toEqual(reachable);
        // Two failed round trips to the dead node, each within the 1500 ms bound, plus the rest.
        expect(elapsed).toBeLessThan(2 * 1_500 + 3_000);
      };
      // At once, while the others only suspect the dead primary...
      await walk(storage);
      // ...and once it is marked failed and the cluster state is fail (full coverage is
      // required, so Redis refuses every key): through this client and a fresh one, which
      // must become ready without cluster_state:ok.
      const survivor = cluster.servers.find((server) => server.running);
      await waitUntil(
        "cluster_state:fail",
        async () =>
          (await survivor?.cli("CLUSTER", "INFO"))?.includes("cluster_state:fail") ?? false,
        10_000,
      );
      await walk(storage);
      await walk(open(storage.keyPrefix));
    } finally {
      await victim.server.restart();
      await cluster.waitForOk();
    }
  });
});
