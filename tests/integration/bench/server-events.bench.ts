/**
 * How long a change event takes from `publish` to a listener, against raw ioredis pub/sub on the
 * same bench-owned standalone Redis, measured in the same process. One event at a time (the next
 * is published once the last arrived), 1,000 per round after a warm-up, 5 rounds alternating
 * baseline and subject; medians of the rounds' p50 and p99 are shown.
 *
 * - Baseline: `PUBLISH` on one ioredis client until the `message` event of a second one
 *   (`SUBSCRIBE`d), in this process.
 * - In process: `MessageBusServerEventBus.publish` on one `RedisMessageBus` until a listener of a
 *   second adapter on a second bus (another replica's), in this process.
 * - Across processes: replica B (its own process) publishes a time-stamped `tools_list_changed`
 *   on its `createMcpHandler`'s bus; the time is read when the notification comes off replica
 *   A's `subscriptions/listen` SSE stream here. Both ends read the machine's monotonic clock
 *   (`process.hrtime.bigint()`), so the two processes' times compare. Also B's own stream.
 */
import { formatRatioTable, median, percentile, type RatioRow } from "@vmcp/bench-kit";
import { startRedisServer } from "@vmcp/redis-harness";
import { MessageBusServerEventBus } from "@vmcp/session-core";
import { RedisMessageBus } from "@vmcp/store-redis";
import { Redis } from "ioredis";
import { type EventReplica, startEventReplica } from "../dist/event-replica.js";
import { SentAtMetaKey } from "../dist/event-replica-protocol.js";
import { type ListenNotification, openListenStream } from "../dist/listen-stream.js";

const Samples = 1_000;
const WarmupSamples = 200;
const Rounds = 5;

/** One way of sending one event and learning when it arrived: resolves its latency, ms. */
type Trip = () => Promise<number>;

async function samples(trip: Trip, count: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) latencies.push(await trip());
  return latencies.sort((x, y) => x - y);
}

/** Resolves the next arrival's time, set by whoever receives. */
class Arrivals {
  #waiting: ((atNs: bigint) => void) | undefined;
  next(): Promise<bigint> {
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }
  arrived(atNs: bigint): void {
    const wake = this.#waiting;
    this.#waiting = undefined;
    wake?.(atNs);
  }
}

const msBetween = (fromNs: bigint, toNs: bigint): number => Number(toNs - fromNs) / 1e6;

async function main(): Promise<void> {
  const server = await startRedisServer();
  const closers: Array<() => Promise<unknown>> = [];
  try {
    // Baseline: raw ioredis pub/sub.
    const rawPublisher = new Redis(server.url);
    const rawSubscriber = new Redis(server.url);
    closers.push(async () => {
      rawPublisher.disconnect();
      rawSubscriber.disconnect();
    });
    const rawArrivals = new Arrivals();
    rawSubscriber.on("message", () => rawArrivals.arrived(process.hrtime.bigint()));
    await rawSubscriber.subscribe("bench:raw");
    const raw: Trip = async () => {
      const arrived = rawArrivals.next();
      const sentNs = process.hrtime.bigint();
      await rawPublisher.publish("bench:raw", '{"kind":"tools_list_changed"}');
      return msBetween(sentNs, await arrived);
    };

    // In process: two adapters on two buses (two replicas' worth of connections).
    const busA = new RedisMessageBus({ url: server.url, keyPrefix: "bench:" });
    const busB = new RedisMessageBus({ url: server.url, keyPrefix: "bench:" });
    const eventsA = await MessageBusServerEventBus.open(busA);
    const eventsB = await MessageBusServerEventBus.open(busB);
    // Closed last in, first out: the adapters before their buses.
    closers.push(
      () => busA.close(),
      () => busB.close(),
      () => eventsA.close(),
      () => eventsB.close(),
    );
    const adapterArrivals = new Arrivals();
    eventsA.subscribe(() => adapterArrivals.arrived(process.hrtime.bigint()));
    const inProcess: Trip = async () => {
      const arrived = adapterArrivals.next();
      const sentNs = process.hrtime.bigint();
      eventsB.publish({ kind: "tools_list_changed" });
      return msBetween(sentNs, await arrived);
    };

    // Across processes: replica B publishes, the stream on A (or on B) is read here.
    const config = { redis: { url: server.url }, keyPrefix: "bench:sdk:" };
    const replicas: EventReplica[] = await Promise.all([
      startEventReplica({ ...config, name: "A" }),
      startEventReplica({ ...config, name: "B" }),
    ]);
    const [a, b] = replicas as [EventReplica, EventReplica];
    closers.push(
      () => a.close(),
      () => b.close(),
    );
    const streamTrip = async (replica: EventReplica): Promise<Trip> => {
      const arrivals = new Arrivals();
      const stream = await openListenStream(
        replica.url,
        { toolsListChanged: true },
        {
          onNotification: (notification: ListenNotification) => {
            const meta = notification.params._meta as Record<string, unknown> | undefined;
            const sent = meta?.[SentAtMetaKey];
            if (typeof sent === "string")
              arrivals.arrived(notification.receivedAtNs - BigInt(sent));
          },
        },
      );
      closers.push(() => stream.close());
      return async () => {
        const took = arrivals.next();
        await b.stamped();
        return Number(await took) / 1e6;
      };
    };
    const crossProcess = await streamTrip(a);
    const ownReplica = await streamTrip(b);

    const subjects: Array<[string, Trip]> = [
      ["in process, adapter to adapter", inProcess],
      ["across processes, B publishes, A's listen stream", crossProcess],
      ["across processes, B publishes, B's own listen stream", ownReplica],
    ];
    const results = new Map<string, { p50: number[]; p99: number[] }>();
    for (const name of ["raw", ...subjects.map(([name]) => name)]) {
      results.set(name, { p50: [], p99: [] });
    }
    const record = (name: string, sorted: number[]) => {
      results.get(name)?.p50.push(percentile(sorted, 50));
      results.get(name)?.p99.push(percentile(sorted, 99));
    };
    await samples(raw, WarmupSamples);
    for (const [, trip] of subjects) await samples(trip, WarmupSamples);
    for (let round = 0; round < Rounds; round++) {
      record("raw", await samples(raw, Samples));
      for (const [name, trip] of subjects) record(name, await samples(trip, Samples));
    }
    const baseline = results.get("raw") ?? { p50: [], p99: [] };
    const rows: RatioRow[] = subjects.flatMap(([name]) => {
      const subject = results.get(name) ?? { p50: [], p99: [] };
      return [
        {
          name: `${name}: p50`,
          value: median(subject.p50),
          baseline: median(baseline.p50),
          unit: "ms",
        },
        {
          name: `${name}: p99`,
          value: median(subject.p99),
          baseline: median(baseline.p99),
          unit: "ms",
        },
      ];
    });
    console.log(
      formatRatioTable(
        "Server events (MessageBusServerEventBus on RedisMessageBus, standalone) vs raw ioredis PUBLISH to a subscriber's message event",
        rows,
      ),
    );
  } finally {
    for (const close of closers.reverse()) await close();
    await server.close();
  }
}

await main();
