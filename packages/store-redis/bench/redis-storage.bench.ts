/**
 * RedisStorage against its peers on the same bench-owned redis-server, in one process.
 *
 * 1. Throughput with 64 concurrent callers: `load` against keyv + `@keyv/redis` (built on
 *    node-redis) `get`, raw node-redis and raw ioredis GET + JSON.parse of the same record; and
 *    `update` (writing the whole metadata) against keyv `set`, and SET of the same record as JSON
 *    on each raw client. Each contender has its own connection; every round runs each once, in a
 *    rotating order, over 7 rounds; medians are shown. Beside throughput, the CPU time per
 *    operation (this process plus redis-server), which a busy shared machine disturbs far less.
 * 2. Load latency (one caller, p50 and p99) with 1,000 stored sessions against 1,000,000, on two
 *    servers measured in alternating rounds. `--skip-large` or BENCH_SKIP_LARGE=1 skips it.
 *
 * The servers are started here on free loopback ports (never the shared 6379) and stopped at
 * the end.
 */

import { createKeyv } from "@keyv/redis";
import {
  formatRatioTable,
  type Measurement,
  measure,
  median,
  percentile,
  type RatioRow,
  sampleSessionMetadata,
} from "@vmcp/bench-kit";
import { type RedisServer, startRedisServer } from "@vmcp/redis-harness";
import { RedisStorage } from "@vmcp/store-redis";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { type ContenderResult, measureContenders, parseServerCpu } from "./contenders.js";
import { deadline, idOf } from "./sessions.js";

const Concurrency = 64;
const Sessions = 1_000;
const LargeSessions = 1_000_000;
const ThroughputOps = 30_000;
const LatencyOps = 10_000;
const Rounds = 7;
const Prefix = "bench:session:";
const skipLarge = process.argv.includes("--skip-large") || process.env.BENCH_SKIP_LARGE === "1";

const rawKey = (i: number): string => `raw:${idOf(i)}`;

/**
 * Writes sessions [from, to) straight into the storage's documented layout (README "Key layout")
 * with the same metadata as {@link metadataFor}, generated inside the bench-owned server by a
 * script, 50,000 per call, so a million take seconds rather than minutes.
 */
const SeedScript = `
local from, to, now, expires = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], ARGV[4]
for i = from, to - 1 do
  local key = ARGV[5] .. '{' .. string.format('session-%08d', i) .. '}'
  redis.call('HSET', key, '@c', now, '@u', now, '@v', '1', '@e', expires,
    'm:vmcp.backend.ids', 'github,jira,slack',
    'm:vmcp.backend.session.github', 'gh-' .. i .. '-3f9a1c',
    'm:vmcp.backend.session.jira', 'jr-' .. i .. '-77e0b2',
    'm:vmcp.backend.session.slack', '',
    'm:vmcp.identity.subject', 'user-' .. i,
    'm:vmcp.identity.binding', 'b3f1c0de9a8e7f6d5c4b3a2918070605')
  redis.call('PEXPIREAT', key, expires)
end
return to - from
`;

async function seed(client: Redis, from: number, to: number): Promise<void> {
  const now = String(Date.now());
  const expiresAt = String(deadline());
  const batch = 50_000;
  for (let start = from; start < to; start += batch) {
    const end = String(Math.min(to, start + batch));
    await client.eval(SeedScript, 0, String(start), end, now, expiresAt, Prefix);
  }
}

/** A session's record as a raw client stores it: the same fields, as JSON. */
function rawRecord(n: number, version: number): string {
  const now = Date.now();
  const record = {
    id: idOf(n),
    createdAt: now,
    updatedAt: now,
    version,
    metadata: sampleSessionMetadata(n),
  };
  return JSON.stringify(record);
}

/**
 * Throughput with 64 callers of RedisStorage against its peers, each on its own connection to
 * the same server: keyv with `@keyv/redis` (built on node-redis), raw node-redis and raw ioredis
 * (GET + JSON.parse of the same record; SET of it as JSON).
 */
async function throughputRows(server: RedisServer): Promise<{ ops: RatioRow[]; cpu: RatioRow[] }> {
  const ioredis = new Redis(server.url);
  const admin = new Redis(server.url);
  const nodeRedis = createClient({ url: server.url });
  nodeRedis.on("error", () => undefined);
  await nodeRedis.connect();
  const keyv = createKeyv(server.url);
  const storage = new RedisStorage({ url: server.url, keyPrefix: Prefix });
  // The same storage over a node-redis client of its own (the application's, as a user passes it).
  const nodeRedisOwn = createClient({ url: server.url });
  nodeRedisOwn.on("error", () => undefined);
  await nodeRedisOwn.connect();
  const storageNodeRedis = new RedisStorage({ client: nodeRedisOwn, keyPrefix: Prefix });
  try {
    for (let i = 0; i < Sessions; i++) {
      const metadata = sampleSessionMetadata(i);
      await storage.create({ id: idOf(i), metadata, expiresAt: deadline() });
      await ioredis.set(rawKey(i), rawRecord(i, 1), "PXAT", deadline());
      await keyv.set(rawKey(i), JSON.parse(rawRecord(i, 1)), 30 * 60_000);
    }
    const options = { concurrency: Concurrency, rounds: Rounds };
    const serverCpu = async (): Promise<number> => parseServerCpu(await admin.info("cpu"));
    const n = (i: number): number => i % Sessions;
    const loads = await measureContenders(
      [
        { name: "storage", op: (i) => storage.load(idOf(n(i))) },
        { name: "storage (node-redis)", op: (i) => storageNodeRedis.load(idOf(n(i))) },
        { name: "keyv", op: (i) => keyv.get(rawKey(n(i))) },
        {
          name: "node-redis",
          op: async (i) => {
            const text = await nodeRedis.get(rawKey(n(i)));
            return text === null ? undefined : JSON.parse(text);
          },
        },
        {
          name: "ioredis",
          op: async (i) => {
            const text = await ioredis.get(rawKey(n(i)));
            return text === null ? undefined : JSON.parse(text);
          },
        },
      ],
      ThroughputOps,
      serverCpu,
      options,
    );
    const updates = await measureContenders(
      [
        {
          name: "storage",
          op: (i) => storage.update(idOf(n(i)), { set: sampleSessionMetadata(n(i)) }),
        },
        {
          name: "storage (node-redis)",
          op: (i) => storageNodeRedis.update(idOf(n(i)), { set: sampleSessionMetadata(n(i)) }),
        },
        {
          name: "keyv",
          op: (i) => keyv.set(rawKey(n(i)), JSON.parse(rawRecord(n(i), i)), 30 * 60_000),
        },
        {
          name: "node-redis",
          op: (i) =>
            nodeRedis.set(rawKey(n(i)), rawRecord(n(i), i), {
              expiration: { type: "PXAT", value: deadline() },
            }),
        },
        {
          name: "ioredis",
          op: (i) => ioredis.set(rawKey(n(i)), rawRecord(n(i), i), "PXAT", deadline()),
        },
      ],
      ThroughputOps,
      serverCpu,
      options,
    );
    const peers = [
      ["keyv", "keyv + @keyv/redis get", "keyv + @keyv/redis set", 1.0],
      ["node-redis", "raw node-redis GET+JSON.parse", "raw node-redis SET of JSON", 0.8],
      ["ioredis", "raw ioredis GET+JSON.parse", "raw ioredis SET of JSON", 0.9],
    ] as const;
    const ops: RatioRow[] = [];
    const cpu: RatioRow[] = [];
    const cpuOf = (result: ContenderResult | undefined): number =>
      result === undefined ? Number.NaN : result.clientCpuUs + result.serverCpuUs;
    for (const [operation, results, verb] of [
      ["load", loads, "RedisStorage.load"],
      ["update", updates, "RedisStorage.update"],
    ] as const) {
      for (const [subjectName, client, peerNames] of [
        ["storage (node-redis)", "node-redis", ["keyv", "node-redis"]],
        ["storage", "ioredis", ["keyv", "ioredis"]],
      ] as const) {
        const subject = results.get(subjectName);
        for (const [peer, loadName, updateName, aim] of peers) {
          if (!(peerNames as readonly string[]).includes(peer)) continue;
          const baseline = results.get(peer);
          const name = `${operation}, ${Concurrency} callers (${verb} on ${client} vs ${operation === "load" ? loadName : updateName})`;
          ops.push({
            name,
            value: subject?.opsPerSec ?? Number.NaN,
            baseline: baseline?.opsPerSec ?? Number.NaN,
            unit: "ops/s",
            aim: { atLeast: aim },
          });
          cpu.push({ name, value: cpuOf(subject), baseline: cpuOf(baseline), unit: "µs/op" });
        }
      }
    }
    for (const [operation, results] of [
      ["load", loads],
      ["update", updates],
    ] as const) {
      for (const [name, result] of results) {
        console.log(
          `${operation} ${name}: ${Math.round(result.opsPerSec)} ops/s, CPU ${result.clientCpuUs.toFixed(1)} µs/op here + ${result.serverCpuUs.toFixed(1)} µs/op in redis-server`,
        );
      }
    }
    return { ops, cpu };
  } finally {
    ioredis.disconnect();
    admin.disconnect();
    nodeRedis.destroy();
    await keyv.disconnect();
    await storage.close();
    await storageNodeRedis.close();
    nodeRedisOwn.destroy();
  }
}

async function latencyRows(): Promise<RatioRow[]> {
  const small = await startRedisServer();
  const large = await startRedisServer();
  const smallStorage = new RedisStorage({ url: small.url, keyPrefix: Prefix });
  const largeStorage = new RedisStorage({ url: large.url, keyPrefix: Prefix });
  try {
    const seeder = new Redis(large.url);
    const seedStart = performance.now();
    await seed(seeder, 0, LargeSessions);
    const seeded = await seeder.dbsize();
    seeder.disconnect();
    console.log(
      `seeded ${seeded} sessions in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`,
    );
    const smallSeeder = new Redis(small.url);
    await seed(smallSeeder, 0, Sessions);
    smallSeeder.disconnect();
    // The seeded sessions must read back exactly as the storage would have written them.
    const last = LargeSessions - 1;
    const loaded = await largeStorage.load(idOf(last));
    if (
      JSON.stringify(loaded?.metadata) !== JSON.stringify(sampleSessionMetadata(last)) ||
      seeded !== LargeSessions
    ) {
      throw new Error(
        "the seeded sessions do not load as written: the bench's seeding is out of date",
      );
    }
    // Random IDs over each store's whole key space, the same sequence for every round.
    const pick = (count: number) =>
      Array.from({ length: LatencyOps * 2 }, (_, i) => idOf((i * 7_919 + 13) % count));
    const smallIds = pick(Sessions);
    const largeIds = pick(LargeSessions);
    const smallRuns: Measurement[] = [];
    const largeRuns: Measurement[] = [];
    const options = { recordLatency: true, warmupOps: 1_000 } as const;
    for (let round = 0; round < Rounds; round++) {
      smallRuns.push(
        await measure(LatencyOps, (i) => smallStorage.load(smallIds[i] ?? ""), options),
      );
      largeRuns.push(
        await measure(LatencyOps, (i) => largeStorage.load(largeIds[i] ?? ""), options),
      );
    }
    const p = (runs: Measurement[], q: number) =>
      median(runs.map((run) => percentile(run.latenciesMs, q)));
    return [
      {
        name: `load p50 latency, 1,000,000 vs 1,000 sessions`,
        value: p(largeRuns, 50),
        baseline: p(smallRuns, 50),
        unit: "ms",
        aim: { atMost: 1.2 },
      },
      {
        name: `load p99 latency, 1,000,000 vs 1,000 sessions`,
        value: p(largeRuns, 99),
        baseline: p(smallRuns, 99),
        unit: "ms",
        aim: { atMost: 1.2 },
      },
    ];
  } finally {
    await smallStorage.close();
    await largeStorage.close();
    await small.close();
    await large.close();
  }
}

const server = await startRedisServer();
try {
  const rows = await throughputRows(server);
  console.log(
    formatRatioTable(
      `RedisStorage vs its peers: throughput (same server, same process, medians of ${Rounds} rotating rounds)`,
      rows.ops,
    ),
  );
  console.log(
    formatRatioTable(
      "RedisStorage vs its peers: CPU per operation, this process + redis-server (lower is better)",
      rows.cpu,
    ),
  );
} finally {
  await server.close();
}
if (skipLarge) {
  console.log("load latency with 1,000,000 sessions: skipped (--skip-large / BENCH_SKIP_LARGE=1)");
} else {
  console.log(
    formatRatioTable("RedisStorage load latency by stored sessions", await latencyRows()),
  );
}
