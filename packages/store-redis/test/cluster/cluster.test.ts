import {
  type RedisCluster,
  requireRedisServer,
  startRedisCluster,
  waitUntil,
} from "@vmcp/redis-harness";
import { StorageUnavailableError } from "@vmcp/session-core";
import { RedisStorage } from "@vmcp/store-redis";
import { Cluster } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { collect, timed, timeoutOptions, uniquePrefix } from "../fixtures.js";

requireRedisServer();

let cluster: RedisCluster;
let admin: Cluster;
const opened: RedisStorage[] = [];

function open(keyPrefix: string, timeoutMs?: number): RedisStorage {
  const storage = new RedisStorage({
    cluster: { nodes: [...cluster.nodes] },
    keyPrefix,
    ...timeoutOptions(timeoutMs),
  });
  opened.push(storage);
  return storage;
}

beforeAll(async () => {
  cluster = await startRedisCluster({ primaries: 3 });
  admin = new Cluster([...cluster.nodes]);
});

afterEach(async () => {
  for (const storage of opened.splice(0)) await storage.close();
});

afterAll(async () => {
  admin?.disconnect();
  await cluster?.close();
});

describe("RedisStorage on a 3-primary Cluster", () => {
  it("puts every key of a session in the slot of its hash tag", async () => {
    const storage = open(uniquePrefix("slots"));
    for (const id of ["a", "b{c}", "}x", "{}", "%7B", "plain-id-42"]) {
      const key = storage.keyOf(id);
      const tagged = await admin.cluster("KEYSLOT", `${key}:any-suffix`);
      expect(await admin.cluster("KEYSLOT", key)).toBe(tagged);
    }
    // Ordinary IDs hash by the ID alone, whatever the prefix.
    const slot = await admin.cluster("KEYSLOT", storage.keyOf("same"));
    const other = open(uniquePrefix("slots-other"));
    expect(await admin.cluster("KEYSLOT", other.keyOf("same"))).toBe(slot);
  });

  it("lists the sessions of every primary", async () => {
    const storage = open(uniquePrefix("scan"));
    const ids = Array.from({ length: 300 }, (_, i) => `s-${i}`);
    await Promise.all(ids.map((id) => storage.create({ id })));
    // The sessions are spread over all three primaries...
    for (const node of admin.nodes("master")) expect(await node.dbsize()).toBeGreaterThan(0);
    // ...and listing finds every one of them.
    expect(new Set(await collect(storage.listIds({ batchSize: 25 })))).toEqual(new Set(ids));
  });

  it("two clients updating different keys of one session lose none", async () => {
    const prefix = uniquePrefix("cluster-concurrent");
    const a = open(prefix);
    const b = open(prefix);
    await a.create({ id: "shared" });
    const writes = (storage: RedisStorage, who: string) =>
      Array.from({ length: 100 }, (_, i) =>
        storage.update("shared", { set: { [`${who}.${i}`]: String(i) } }),
      );
    await Promise.all([...writes(a, "a"), ...writes(b, "b")]);
    const record = await b.load("shared");
    expect(Object.keys(record?.metadata ?? {})).toHaveLength(200);
    expect(record?.version).toBe(201);
  });

  it("rejects typed within the bound while a primary is down, and recovers when it returns", async () => {
    const storage = open(uniquePrefix("cluster-down"), 800);
    const ids = Array.from({ length: 30 }, (_, i) => `d-${i}`);
    await Promise.all(ids.map((id) => storage.create({ id })));
    const victim = cluster.servers[0];
    if (victim === undefined) throw new Error("no cluster node");
    await victim.stop();
    const outcomes = await Promise.all(ids.map((id) => timed(storage.load(id))));
    const failed = outcomes.filter((outcome) => outcome.error !== undefined);
    // A third of the slots lived on the stopped primary: those calls fail, typed and bounded.
    expect(failed.length).toBeGreaterThan(0);
    for (const outcome of outcomes) {
      if (outcome.error !== undefined)
        expect(outcome.error).toBeInstanceOf(StorageUnavailableError);
      expect(outcome.ms).toBeLessThan(800 + 1_000); // the bound, with slack for a busy machine
    }
    await victim.restart();
    await cluster.waitForOk();
    await waitUntil(
      "the storage to reach every slot again",
      async () => {
        await Promise.all(ids.map((id) => storage.create({ id: `again-${id}` })));
        return true;
      },
      10_000,
    );
    expect(await storage.load("again-d-0")).toBeDefined();
  });
});
