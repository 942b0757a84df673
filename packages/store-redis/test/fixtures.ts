import { randomBytes } from "node:crypto";
import {
  type RedisCluster,
  type RedisServer,
  startRedisCluster,
  startRedisServer,
} from "@vmcp/redis-harness";
import { afterAll, afterEach, beforeAll, beforeEach, expect } from "vitest";

/** What {@link useFaultServer} gives a test file. */
export interface FaultServer<T> {
  /** The file's own Redis server (set once the file's `beforeAll` ran). */
  readonly server: RedisServer;
  /** What a test opened: each is closed after the test. */
  readonly opened: T[];
}

/**
 * Registers the hooks of a test file whose tests stop, pause or kill its Redis server: one
 * server for the file, restarted before a test when an earlier one left it down and resumed
 * after each; everything in `opened` closed after each test; and no test may leave an uncaught
 * exception or unhandled rejection behind (a connection error event reaching the process fails
 * the test).
 */
export function useFaultServer<T extends { close(): Promise<void> }>(): FaultServer<T> {
  let server: RedisServer | undefined;
  const opened: T[] = [];
  const processErrors: unknown[] = [];
  const recordProcessError = (error: unknown): void => {
    processErrors.push(error);
  };
  beforeAll(async () => {
    server = await startRedisServer();
    process.on("uncaughtException", recordProcessError);
    process.on("unhandledRejection", recordProcessError);
  });
  beforeEach(async () => {
    if (server !== undefined && !server.running) await server.restart();
  });
  afterEach(async () => {
    server?.resume();
    for (const item of opened.splice(0)) await item.close();
    expect(processErrors).toEqual([]);
  });
  afterAll(async () => {
    process.off("uncaughtException", recordProcessError);
    process.off("unhandledRejection", recordProcessError);
    await server?.close();
  });
  return {
    get server(): RedisServer {
      if (server === undefined) throw new Error("the Redis server starts in beforeAll");
      return server;
    },
    opened,
  };
}

/**
 * `cluster-node-timeout` of the Cluster fault tests, ms: small, so a dead primary's replica is
 * promoted in a few seconds, but not so small that a node starved of CPU for a second on a busy
 * CI machine is failed over by the cluster on its own (at 1,000 ms a healthy primary was demoted
 * mid-test there).
 */
export const FaultClusterNodeTimeoutMs = 3_000;

/** What {@link useFaultCluster} gives a test file. */
export interface FaultCluster {
  /** The file's own Cluster (set once the file's `beforeAll` ran). */
  readonly cluster: RedisCluster;
  /** Run after each test, the last pushed first (close what a test opened, stop its load). */
  readonly cleanups: (() => Promise<void>)[];
}

/**
 * Registers the hooks of a Cluster fault test file (storage or bus): one Cluster of 3 primaries
 * with a replica each and {@link FaultClusterNodeTimeoutMs} for the file, `cleanups` run after
 * each test in reverse order, the Cluster closed after the file.
 */
export function useFaultCluster(): FaultCluster {
  let cluster: RedisCluster | undefined;
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    cluster = await startRedisCluster({
      primaries: 3,
      replicasPerPrimary: 1,
      nodeTimeoutMs: FaultClusterNodeTimeoutMs,
    });
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    await cluster?.close();
  });
  return {
    get cluster(): RedisCluster {
      if (cluster === undefined) throw new Error("the Redis Cluster starts in beforeAll");
      return cluster;
    },
    cleanups,
  };
}

/** A key prefix no other test uses, so each test starts from an empty storage. */
export function uniquePrefix(label = "t"): string {
  return `test:${label}:${randomBytes(6).toString("hex")}:`;
}

/**
 * `{ timeoutMs }` when a bound is given, else no option at all (the options type forbids an
 * explicit `undefined`): spread it into `RedisStorage`'s options.
 */
export function timeoutOptions(timeoutMs: number | undefined): { timeoutMs?: number } {
  return timeoutMs === undefined ? {} : { timeoutMs };
}

/** Every value an async iterable yields. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}

/** Settles `promise` and reports how long it took, ms, and how it ended. */
export async function timed<T>(
  promise: Promise<T>,
): Promise<{ ms: number; value?: T; error?: unknown }> {
  const start = performance.now();
  try {
    const value = await promise;
    return { ms: performance.now() - start, value };
  } catch (error) {
    return { ms: performance.now() - start, error };
  }
}

/** The Cluster hash slot of `key` (CRC16/XMODEM of its hash tag, mod 16384), as Redis computes it. */
export function keySlot(key: string): number {
  const open = key.indexOf("{");
  let hashed = key;
  if (open !== -1) {
    const close = key.indexOf("}", open + 1);
    if (close > open + 1) hashed = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of Buffer.from(hashed, "utf8")) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc % 16384;
}

/** The first IDs `<label>-<n>` whose keys (under `keyOf`) hash into a slot `accept` takes. */
export function idsInSlots(
  label: string,
  count: number,
  keyOf: (id: string) => string,
  accept: (slot: number) => boolean,
): string[] {
  const ids: string[] = [];
  for (let n = 0; ids.length < count; n++) {
    if (n > 1_000_000) throw new Error(`no ${count} IDs found for ${label}`);
    const id = `${label}-${n}`;
    if (accept(keySlot(keyOf(id)))) ids.push(id);
  }
  return ids;
}
