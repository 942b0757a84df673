/**
 * RedisStorage on a bench-owned 3-primary Redis Cluster, in one process.
 *
 * 1. The cost of each way to follow MOVED/ASK (README "Redis Cluster"): ioredis auto-pipelining
 *    on, with the storage resending a redirected command on the non-pipelined path, against
 *    auto-pipelining off (every command on the non-pipelined path, which follows redirects
 *    itself). 64 concurrent callers, `load` and `update`; alternating rounds, medians.
 * 2. The cost of the exactly-once listing: `listIds` (slot by slot, two `CLUSTER NODES` views per
 *    batch) against a raw SCAN of every primary of the same sessions.
 *
 * The cluster is started here on free loopback ports and stopped at the end.
 */
import {
  compareThroughput,
  formatRatioTable,
  median,
  type RatioRow,
  sampleSessionMetadata,
} from "@vmcp/bench-kit";
import { startRedisCluster } from "@vmcp/redis-harness";
import { RedisStorage } from "@vmcp/store-redis";
import { Cluster } from "ioredis";
import { deadline, idOf } from "./sessions.js";

const Concurrency = 64;
const Sessions = 1_000;
const ThroughputOps = 20_000;
const ListSessions = 20_000;
const Rounds = 7;
const Prefix = "bench:cluster:";

const cluster = await startRedisCluster({ primaries: 3 });
const open = (enableAutoPipelining: boolean): RedisStorage =>
  new RedisStorage({
    cluster: { nodes: [...cluster.nodes], options: { enableAutoPipelining } },
    keyPrefix: Prefix,
  });
const pipelined = open(true);
const direct = open(false);
const raw = new Cluster([...cluster.nodes]);
try {
  for (let i = 0; i < Sessions; i += 100) {
    await Promise.all(
      Array.from({ length: 100 }, (_, j) =>
        pipelined.create({
          id: idOf(i + j),
          metadata: sampleSessionMetadata(i + j),
          expiresAt: deadline(),
        }),
      ),
    );
  }
  const options = { concurrency: Concurrency, rounds: Rounds };
  const load = await compareThroughput(
    ThroughputOps,
    (i) => direct.load(idOf(i % Sessions)),
    (i) => pipelined.load(idOf(i % Sessions)),
    options,
  );
  const update = await compareThroughput(
    ThroughputOps,
    (i) => direct.update(idOf(i % Sessions), { set: { seen: String(i) } }),
    (i) => pipelined.update(idOf(i % Sessions), { set: { seen: String(i) } }),
    options,
  );
  const rows: RatioRow[] = [
    {
      name: `load, ${Concurrency} callers (auto-pipelining + resend vs no auto-pipelining)`,
      value: load.subjectOpsPerSec,
      baseline: load.baselineOpsPerSec,
      unit: "ops/s",
      aim: { atLeast: 1 },
    },
    {
      name: `update, ${Concurrency} callers (auto-pipelining + resend vs no auto-pipelining)`,
      value: update.subjectOpsPerSec,
      baseline: update.baselineOpsPerSec,
      unit: "ops/s",
      aim: { atLeast: 1 },
    },
  ];
  console.log(formatRatioTable("RedisStorage on Cluster: two ways to follow redirects", rows));

  for (let i = Sessions; i < ListSessions; i += 500) {
    await Promise.all(
      Array.from({ length: 500 }, (_, j) =>
        pipelined.create({ id: idOf(i + j), expiresAt: deadline() }),
      ),
    );
  }
  const walks: number[] = [];
  const scans: number[] = [];
  for (let round = 0; round < Rounds; round++) {
    let start = performance.now();
    let scanned = 0;
    for (const node of raw.nodes("master")) {
      let cursor = "0";
      do {
        const [next, keys] = await node.scan(cursor, "MATCH", `${Prefix}*`, "COUNT", 250);
        cursor = next;
        scanned += keys.length;
      } while (cursor !== "0");
    }
    scans.push(performance.now() - start);
    start = performance.now();
    let listed = 0;
    for await (const _ of pipelined.listIds()) listed++;
    walks.push(performance.now() - start);
    if (listed !== ListSessions || scanned !== ListSessions) {
      throw new Error(`listed ${listed} and scanned ${scanned} of ${ListSessions} sessions`);
    }
  }
  console.log(
    formatRatioTable("RedisStorage.listIds on Cluster", [
      {
        name: `walk of ${ListSessions} sessions (slot by slot, exactly once vs raw SCAN per primary)`,
        value: median(walks),
        baseline: median(scans),
        unit: "ms",
        aim: { atMost: 5 },
      },
    ]),
  );
} finally {
  raw.disconnect();
  await pipelined.close();
  await direct.close();
  await cluster.close();
}
