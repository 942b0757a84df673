/**
 * The cost of write durability (`durability: { replicas: 1 }`: WAIT pipelined with each write),
 * on a bench-owned master with one replica on loopback, in one process:
 *
 * - `update` with durability against the same `update` without it (same server, same data);
 * - `update` with durability against raw ioredis SET of the same record as JSON;
 *
 * each at 64 concurrent callers (throughput) and at one caller (p50 latency). Baseline and subject
 * alternate over 7 rounds; medians are shown. On loopback the replica is microseconds away: over
 * a network each durable write adds about one round trip from the master to its replica.
 */
import {
  compareThroughput,
  formatRatioTable,
  type Measurement,
  measure,
  median,
  percentile,
  type RatioRow,
  sampleSessionMetadata,
} from "@vmcp/bench-kit";
import { startRedisServer, waitForReplicaAcks } from "@vmcp/redis-harness";
import { RedisStorage } from "@vmcp/store-redis";
import { Redis } from "ioredis";
import { deadline, idOf } from "./sessions.js";

const Concurrency = 64;
const Sessions = 1_000;
const ThroughputOps = 20_000;
const LatencyOps = 3_000;
const Rounds = 7;

const master = await startRedisServer();
const replica = await startRedisServer({
  args: ["--replicaof", "127.0.0.1", String(master.port)],
});
const raw = new Redis(master.url);
const plain = new RedisStorage({ url: master.url, keyPrefix: "bench:plain:" });
const durable = new RedisStorage({
  url: master.url,
  keyPrefix: "bench:durable:",
  durability: { replicas: 1 },
});
try {
  await waitForReplicaAcks(master);
  for (let i = 0; i < Sessions; i++) {
    const metadata = sampleSessionMetadata(i);
    await plain.create({ id: idOf(i), metadata, expiresAt: deadline() });
    await durable.create({ id: idOf(i), metadata, expiresAt: deadline() });
  }
  const update = (storage: RedisStorage) => (i: number) =>
    storage.update(idOf(i % Sessions), { set: sampleSessionMetadata(i % Sessions) });
  const set = (i: number) => {
    const n = i % Sessions;
    const now = Date.now();
    const record = { id: idOf(n), createdAt: now, updatedAt: now, version: i };
    return raw.set(
      `raw:${idOf(n)}`,
      JSON.stringify({ ...record, metadata: sampleSessionMetadata(n) }),
      "PXAT",
      deadline(),
    );
  };
  const options = { concurrency: Concurrency, rounds: Rounds };
  const vsPlain = await compareThroughput(ThroughputOps, update(plain), update(durable), options);
  const vsSet = await compareThroughput(ThroughputOps, set, update(durable), options);

  const p50 = async (op: (i: number) => unknown): Promise<number[]> => {
    const runs: Measurement[] = [];
    for (let round = 0; round < Rounds; round++) {
      runs.push(await measure(LatencyOps, op, { recordLatency: true, warmupOps: 300 }));
    }
    return runs.map((run) => percentile(run.latenciesMs, 50));
  };
  const latency = { plain: [] as number[], durable: [] as number[], set: [] as number[] };
  // Alternate the three sides round by round.
  for (let round = 0; round < 3; round++) {
    latency.plain.push(...(await p50(update(plain))));
    latency.durable.push(...(await p50(update(durable))));
    latency.set.push(...(await p50(set)));
  }
  const rows: RatioRow[] = [
    {
      name: `update, ${Concurrency} callers (durability 1 replica vs off)`,
      value: vsPlain.subjectOpsPerSec,
      baseline: vsPlain.baselineOpsPerSec,
      unit: "ops/s",
      aim: { atLeast: 0.5 },
    },
    {
      name: `update, ${Concurrency} callers (durability 1 replica vs SET of JSON)`,
      value: vsSet.subjectOpsPerSec,
      baseline: vsSet.baselineOpsPerSec,
      unit: "ops/s",
      aim: { atLeast: 0.4 },
    },
    {
      name: "update p50 latency, 1 caller (durability 1 replica vs off)",
      value: median(latency.durable),
      baseline: median(latency.plain),
      unit: "ms",
      aim: { atMost: 2 },
    },
    {
      name: "update p50 latency, 1 caller (durability 1 replica vs SET of JSON)",
      value: median(latency.durable),
      baseline: median(latency.set),
      unit: "ms",
      aim: { atMost: 2.5 },
    },
  ];
  console.log(formatRatioTable("RedisStorage write durability (WAIT 1, loopback replica)", rows));
} finally {
  raw.disconnect();
  await plain.close();
  await durable.close();
  await replica.close();
  await master.close();
}
