/**
 * RedisMessageBus against raw ioredis pub/sub on the same bench-owned servers, in one process.
 *
 * Each operation is a round trip as the gateway's answer path makes it: publish one message to
 * a session and wait until a subscriber on another connection (another replica's bus) has it.
 * 64 callers over 64 sessions (throughput), and one caller (latency p50/p99). Baseline: PUBLISH on
 * one ioredis client, SUBSCRIBE on another; on a Cluster, SPUBLISH through the Cluster client
 * and SSUBSCRIBE through a second one with ioredis's `shardedSubscribers`. Baseline and subject
 * alternate over 5 rounds; medians are shown.
 */
import {
  compareThroughput,
  formatRatioTable,
  measure,
  median,
  percentile,
  type RatioRow,
} from "@vmcp/bench-kit";
import {
  type RedisCluster,
  type RedisServer,
  startRedisCluster,
  startRedisServer,
} from "@vmcp/redis-harness";
import { RedisMessageBus } from "@vmcp/store-redis";
import { Cluster, Redis } from "ioredis";

const Sessions = 64;
const ThroughputOps = 20_000;
const LatencyOps = 3_000;
const Rounds = 5;

/** A publish/subscribe pair reduced to what a round trip needs. */
interface Side {
  publish(session: number, message: string): Promise<unknown>;
  close(): Promise<void>;
}

/** Resolves each message's waiter when a subscriber delivers it. */
class Waiters {
  readonly #waiting = new Map<string, () => void>();
  deliver = (message: string): void => {
    const wake = this.#waiting.get(message);
    if (wake === undefined) return;
    this.#waiting.delete(message);
    wake();
  };
  wait(message: string): Promise<void> {
    return new Promise((resolve) => this.#waiting.set(message, resolve));
  }
}

function roundTrip(side: Side, waiters: Waiters, label: string): (i: number) => Promise<void> {
  return async (i) => {
    const message = `${label}:${i}`;
    const delivered = waiters.wait(message);
    await side.publish(i % Sessions, message);
    await delivered;
  };
}

const sessionId = (n: number): string => `bench-session-${n}`;

async function busSide(open: () => RedisMessageBus, waiters: Waiters): Promise<Side> {
  const publisher = open();
  const subscriber = open();
  for (let n = 0; n < Sessions; n++) await subscriber.subscribe(sessionId(n), waiters.deliver);
  return {
    publish: (session, message) => publisher.publish(sessionId(session), message),
    async close() {
      await publisher.close();
      await subscriber.close();
    },
  };
}

async function rawStandaloneSide(server: RedisServer, waiters: Waiters): Promise<Side> {
  const publisher = new Redis(server.url);
  const subscriber = new Redis(server.url);
  const channel = (n: number) => `raw:{${sessionId(n)}}:bus`;
  subscriber.on("message", (_channel: string, message: string) => waiters.deliver(message));
  for (let n = 0; n < Sessions; n++) await subscriber.subscribe(channel(n));
  return {
    publish: (session, message) => publisher.publish(channel(session), message),
    async close() {
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}

async function rawClusterSide(cluster: RedisCluster, waiters: Waiters): Promise<Side> {
  const publisher = new Cluster([...cluster.nodes]);
  const subscriber = new Cluster([...cluster.nodes], { shardedSubscribers: true });
  const channel = (n: number) => `raw:{${sessionId(n)}}:bus`;
  subscriber.on("smessage", (_channel: string, message: string) => waiters.deliver(message));
  for (let n = 0; n < Sessions; n++) await subscriber.ssubscribe(channel(n));
  return {
    publish: (session, message) => publisher.spublish(channel(session), message),
    async close() {
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}

async function compare(
  title: string,
  baseline: Side,
  baselineWaiters: Waiters,
  subject: Side,
  subjectWaiters: Waiters,
): Promise<RatioRow[]> {
  const throughput = await compareThroughput(
    ThroughputOps,
    roundTrip(baseline, baselineWaiters, "raw"),
    roundTrip(subject, subjectWaiters, "bus"),
    { concurrency: 64, rounds: Rounds },
  );
  const p50: [number[], number[]] = [[], []];
  const p99: [number[], number[]] = [[], []];
  for (let round = 0; round < Rounds; round++) {
    const raw = await measure(LatencyOps, roundTrip(baseline, baselineWaiters, `raw${round}`), {
      recordLatency: true,
    });
    const bus = await measure(LatencyOps, roundTrip(subject, subjectWaiters, `bus${round}`), {
      recordLatency: true,
    });
    p50[0].push(percentile(raw.latenciesMs, 50));
    p50[1].push(percentile(bus.latenciesMs, 50));
    p99[0].push(percentile(raw.latenciesMs, 99));
    p99[1].push(percentile(bus.latenciesMs, 99));
  }
  return [
    {
      name: `${title}: round trips, 64 callers`,
      value: throughput.subjectOpsPerSec,
      baseline: throughput.baselineOpsPerSec,
      unit: "ops/s",
    },
    {
      name: `${title}: round trip p50, 1 caller`,
      value: median(p50[1]),
      baseline: median(p50[0]),
      unit: "ms",
    },
    {
      name: `${title}: round trip p99, 1 caller`,
      value: median(p99[1]),
      baseline: median(p99[0]),
      unit: "ms",
    },
  ];
}

async function main(): Promise<void> {
  const rows: RatioRow[] = [];
  const server = await startRedisServer();
  try {
    const [rawWaiters, busWaiters] = [new Waiters(), new Waiters()];
    const raw = await rawStandaloneSide(server, rawWaiters);
    const bus = await busSide(
      () => new RedisMessageBus({ url: server.url, keyPrefix: "bench:" }),
      busWaiters,
    );
    rows.push(...(await compare("standalone", raw, rawWaiters, bus, busWaiters)));
    await raw.close();
    await bus.close();
  } finally {
    await server.close();
  }
  const cluster = await startRedisCluster({ primaries: 3 });
  try {
    const [rawWaiters, busWaiters] = [new Waiters(), new Waiters()];
    const raw = await rawClusterSide(cluster, rawWaiters);
    const bus = await busSide(
      () => new RedisMessageBus({ cluster: { nodes: [...cluster.nodes] }, keyPrefix: "bench:" }),
      busWaiters,
    );
    rows.push(...(await compare("Cluster", raw, rawWaiters, bus, busWaiters)));
    await raw.close();
    await bus.close();
  } finally {
    await cluster.close();
  }
  console.log(
    formatRatioTable(
      "RedisMessageBus vs raw ioredis pub/sub (publish, then delivery to another connection)",
      rows,
    ),
  );
}

await main();
