import { generateSessionId } from "@vmcp/session-core";

/** A fresh, valid session ID for one test. */
export function newId(): string {
  return generateSessionId();
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

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
 * How long the expiry tests wait past a short deadline, in ms. Generous enough for a store whose
 * clock is another process's (Redis), small enough to keep the suite fast.
 */
export const ShortLifeMs = 150;

/** How long to wait for a {@link ShortLifeMs} session to be surely gone, in ms. */
export const PastShortLifeMs = 350;
