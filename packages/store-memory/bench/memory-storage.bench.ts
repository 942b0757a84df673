/**
 * MemoryStorage against raw lru-cache, and against its peer keyv with an lru-cache store (keyv's
 * defaults, as its README sets up a Map-like store), in one process: load and store throughput of
 * the same records. The storage pays for validation, copies (isolation) and a promise per call;
 * the baselines store the same freshly built records a caller would build. Baseline and subject
 * alternate over 5 rounds; the table shows medians.
 */
import {
  compareThroughput,
  formatRatioTable,
  type RatioRow,
  sampleSessionMetadata,
} from "@vmcp/bench-kit";
import { MemoryStorage } from "@vmcp/store-memory";
import Keyv from "keyv";
import { LRUCache } from "lru-cache";

const Sessions = 10_000;
const Ops = 200_000;
/** Sessions carry a deadline, as the gateway's do (30 minutes by default). */
const TtlMs = 30 * 60_000;

interface RawRecord {
  id: string;
  createdAt: number;
  updatedAt: number;
  version: number;
  metadata: Record<string, string>;
}

const ids = Array.from(
  { length: Sessions },
  (_, i) => `session-${i.toString(36).padStart(8, "0")}`,
);
const metadata = ids.map((_, i) => sampleSessionMetadata(i));
const idAt = (i: number) => ids[i % Sessions] as string;
const metadataAt = (i: number) => metadata[i % Sessions] as Record<string, string>;

// The baseline keeps the same deadlines with lru-cache's own TTL.
const raw = new LRUCache<string, RawRecord>({ max: Sessions, ttl: TtlMs });
const storage = new MemoryStorage({ maxSessions: Sessions });
for (let i = 0; i < Sessions; i++) {
  const now = Date.now();
  raw.set(idAt(i), {
    id: idAt(i),
    createdAt: now,
    updatedAt: now,
    version: 1,
    metadata: metadataAt(i),
  });
  await storage.create({ id: idAt(i), metadata: metadataAt(i), expiresAt: now + TtlMs });
}

const load = await compareThroughput(
  Ops,
  (i) => raw.get(idAt(i)),
  (i) => storage.load(idAt(i)),
);
const update = await compareThroughput(
  Ops,
  (i) => {
    const old = raw.get(idAt(i)) as RawRecord;
    const metadata = { ...old.metadata, "vmcp.backend.session.github": `gh-${i}` };
    raw.set(
      idAt(i),
      { ...old, updatedAt: Date.now(), version: old.version + 1, metadata },
      { ttl: TtlMs },
    );
  },
  (i) => storage.update(idAt(i), { set: { "vmcp.backend.session.github": `gh-${i}` } }),
);
const recreate = await compareThroughput(
  Ops,
  (i) => {
    raw.delete(idAt(i));
    const now = Date.now();
    raw.set(idAt(i), {
      id: idAt(i),
      createdAt: now,
      updatedAt: now,
      version: 1,
      metadata: { ...metadataAt(i) },
    });
  },
  async (i) => {
    await storage.delete(idAt(i));
    await storage.create({ id: idAt(i), metadata: metadataAt(i), expiresAt: Date.now() + TtlMs });
  },
);

/**
 * lru-cache as a keyv store: keyv calls `set(key, value, ttl)` with the TTL in ms as a number,
 * where lru-cache takes `{ ttl }`, so a user wires it with this much.
 */
class LruStore<V extends object> {
  readonly #cache: LRUCache<string, V>;
  constructor(max: number) {
    this.#cache = new LRUCache<string, V>({ max });
  }
  get(key: string): V | undefined {
    return this.#cache.get(key);
  }
  set(key: string, value: V, ttl?: number): boolean {
    this.#cache.set(key, value, ttl === undefined ? undefined : { ttl });
    return true;
  }
  delete(key: string): boolean {
    return this.#cache.delete(key);
  }
  clear(): void {
    this.#cache.clear();
  }
  has(key: string): boolean {
    return this.#cache.has(key);
  }
}

// keyv on an lru-cache of the same size, with the same TTL per entry, holding the values
// themselves (serialize and deserialize off, keyv's in-memory setting): the fastest keyv there is,
// though it hands every caller the same object where the storage hands out copies.
const keyv = new Keyv<RawRecord>({ store: new LruStore<object>(Sessions) });
keyv.serialize = undefined;
keyv.deserialize = undefined;
keyv.on("error", (error: unknown) => {
  throw error;
});
for (let i = 0; i < Sessions; i++) {
  const now = Date.now();
  await keyv.set(
    idAt(i),
    { id: idAt(i), createdAt: now, updatedAt: now, version: 1, metadata: metadataAt(i) },
    TtlMs,
  );
}
if ((await keyv.get(idAt(Sessions - 1)))?.id !== idAt(Sessions - 1)) {
  throw new Error("keyv does not read back what it stored: the bench's keyv store is broken");
}
const keyvLoad = await compareThroughput(
  Ops,
  (i) => keyv.get(idAt(i)),
  (i) => storage.load(idAt(i)),
);
const keyvUpdate = await compareThroughput(
  Ops,
  async (i) => {
    const old = (await keyv.get(idAt(i))) as RawRecord;
    const metadata = { ...old.metadata, "vmcp.backend.session.github": `gh-${i}` };
    await keyv.set(
      idAt(i),
      { ...old, updatedAt: Date.now(), version: old.version + 1, metadata },
      TtlMs,
    );
  },
  (i) => storage.update(idAt(i), { set: { "vmcp.backend.session.github": `gh-${i}` } }),
);
const keyvRecreate = await compareThroughput(
  Ops,
  async (i) => {
    await keyv.delete(idAt(i));
    const now = Date.now();
    await keyv.set(
      idAt(i),
      { id: idAt(i), createdAt: now, updatedAt: now, version: 1, metadata: { ...metadataAt(i) } },
      TtlMs,
    );
  },
  async (i) => {
    await storage.delete(idAt(i));
    await storage.create({ id: idAt(i), metadata: metadataAt(i), expiresAt: Date.now() + TtlMs });
  },
);
await storage.close();

const row = (
  name: string,
  c: { subjectOpsPerSec: number; baselineOpsPerSec: number },
  atLeast = 0.25,
): RatioRow => ({
  name,
  value: c.subjectOpsPerSec,
  baseline: c.baselineOpsPerSec,
  unit: "ops/s",
  aim: { atLeast },
});
console.log(
  formatRatioTable(
    `@vmcp/store-memory vs raw lru-cache and keyv + lru-cache: ${Sessions.toLocaleString("en-US")} sessions of 6 keys with a 30 min TTL, ${Ops.toLocaleString("en-US")} ops a round, median of 5 alternating rounds`,
    [
      row("load (vs get)", load),
      row("store: update one key (vs get+set new record)", update),
      row("store: delete+create (vs delete+set new record)", recreate),
      row("load (vs keyv + lru-cache get)", keyvLoad, 1),
      row("store: update one key (vs keyv get+set new record)", keyvUpdate, 1),
      row("store: delete+create (vs keyv delete+set new record)", keyvRecreate, 1),
    ],
  ),
);
