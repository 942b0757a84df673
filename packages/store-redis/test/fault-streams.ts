import type { RedisStorage, RedisStorageOptions } from "@vmcp/store-redis";
import { expect } from "vitest";
import { uniquePrefix } from "./fixtures.js";
import { type Acknowledged, until, WriteStream } from "./write-stream.js";

/** The WAIT timeout of the durable stream, ms (below the default 1500 ms bound). */
export const WaitTimeoutMs = 500;
/** The bound of each fault test, ms: a failover, a rejoin and 300 writes on a busy machine. */
export const FaultTestMs = 90_000;

/** The `RedisStorage` options of a durable stream's storage (none for a plain one). */
export function durabilityOptions(durable: boolean): Pick<RedisStorageOptions, "durability"> {
  return durable ? { durability: { replicas: 1, timeoutMs: WaitTimeoutMs } } : {};
}

/** What one stream of {@link streamThroughFault} did. */
export interface StreamFigures {
  /** Writes the storage acknowledged. */
  readonly acknowledged: number;
  /** Writes refused with `StorageUnavailableError`. */
  readonly rejected: number;
  /** The messages of those refusals, in order. */
  readonly rejections: readonly string[];
  /** Acknowledged writes a fresh storage could not read back afterwards. */
  readonly lost: Acknowledged[];
}

/** How {@link streamThroughFault} reaches the deployment under test. */
export interface FaultRun {
  /** Names the run in its log line and key prefixes. */
  readonly name: string;
  /** A new storage on the deployment under `keyPrefix`, with WAIT durability on or off. */
  readonly open: (keyPrefix: string, durable: boolean) => RedisStorage;
  /** Applies the fault; resolves once the deployment switched to its new primary. */
  readonly fault: () => Promise<void>;
  /** Runs after the switch instant is taken (e.g. a rejoin of the old primary). */
  readonly afterSwitch?: () => Promise<void>;
}

/**
 * Runs two streams of creates and updates at once, one with durability on and one without,
 * applies `fault` once each had 200 writes acknowledged, keeps writing until both had 100 writes
 * acknowledged after the switch, then reads every acknowledged write back through a fresh
 * storage. Bounded: 20 s before the fault, 30 s after it.
 */
export async function streamThroughFault(
  run: FaultRun,
): Promise<{ durable: StreamFigures; plain: StreamFigures; switchedAt: number }> {
  const { name, open } = run;
  const prefixes = { durable: uniquePrefix(`${name}-on`), plain: uniquePrefix(`${name}-off`) };
  const durable = new WriteStream(open(prefixes.durable, true));
  const plain = new WriteStream(open(prefixes.plain, false));
  const streams = [durable, plain];
  await Promise.all(streams.map((stream) => stream.start()));
  const healthy = () => streams.every((s) => s.unexpected.length === 0);
  await until(
    "200 writes acknowledged by each stream",
    () => !healthy() || streams.every((s) => s.acknowledgedSince() >= 200),
    20_000,
  );
  await run.fault();
  const switchedAt = Date.now();
  await run.afterSwitch?.();
  await until(
    "100 writes acknowledged by each stream after the switch",
    () => !healthy() || streams.every((s) => s.acknowledgedSince(switchedAt) >= 100),
    30_000,
    () =>
      streams
        .map(
          (s) => `${s.acknowledgedSince(switchedAt)} (last error: ${s.rejected.at(-1)?.message})`,
        )
        .join(", "),
  );
  await Promise.all(streams.map((stream) => stream.stop()));
  for (const stream of streams) expect(stream.unexpected).toEqual([]);
  const figures = async (stream: WriteStream, prefix: string): Promise<StreamFigures> => ({
    acknowledged: stream.acknowledged.length,
    rejected: stream.rejected.length,
    rejections: stream.rejected.map((error) => error.message),
    lost: await stream.missing(open(prefix, false)),
  });
  const result = {
    durable: await figures(durable, prefixes.durable),
    plain: await figures(plain, prefixes.plain),
    switchedAt,
  };
  console.log(
    `${name}: durability on: ${result.durable.acknowledged} acknowledged, ` +
      `${result.durable.rejected} rejected, ${result.durable.lost.length} lost; ` +
      `off: ${result.plain.acknowledged} acknowledged, ${result.plain.rejected} rejected, ` +
      `${result.plain.lost.length} lost`,
  );
  return result;
}

/** Asserts that no write is in `lost`, naming the first few otherwise. */
export function expectNone(lost: readonly Acknowledged[]): void {
  expect(lost.length, `lost: ${JSON.stringify(lost.slice(0, 3))}…`).toBe(0);
}
