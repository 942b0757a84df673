import { setTimeout as sleepMs } from "node:timers/promises";
import type { SessionStorage } from "@vmcp/session-core/storage";
import { newId } from "../shared/session-ids.js";

/** Drains an async iterable into an array. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** A deadline this many milliseconds from now, in epoch milliseconds. */
export function inMs(ms: number): number {
  return Date.now() + ms;
}

/**
 * The life of a short-lived session in the expiry tests, ms: long enough for the few round trips
 * between `create` and the "still alive" checks on a busy machine (the client is warmed first, so
 * no connection setup, Sentinel lookup or Cluster slot discovery falls inside it).
 */
export const ShortLifeMs = 500;

/**
 * How long past a short deadline the expiry tests wait before they expect the session gone, ms:
 * slack for a store whose clock is another process's (Redis) and for a late timer.
 */
export const ExpiryMarginMs = 300;

/**
 * Makes the storage's client ready before a deadline starts: a `ping` and a `load` of an unknown
 * session open the connection, resolve a Sentinel master and discover Cluster slots.
 */
export async function warm(storage: SessionStorage): Promise<void> {
  await storage.ping();
  await storage.load(newId());
}

/** Warms `storage` (see {@link warm}), then returns a deadline {@link ShortLifeMs} from now. */
export async function shortDeadline(storage: SessionStorage): Promise<number> {
  await warm(storage);
  return inMs(ShortLifeMs);
}

/** Resolves {@link ExpiryMarginMs} after the absolute `deadline` (epoch ms) has passed. */
export async function waitPast(deadline: number): Promise<void> {
  await sleepMs(Math.max(0, deadline + ExpiryMarginMs - Date.now()));
}
