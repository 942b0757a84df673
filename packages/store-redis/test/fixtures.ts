import { randomBytes } from "node:crypto";

/** A key prefix no other test uses, so each test starts from an empty storage. */
export function uniquePrefix(label = "t"): string {
  return `test:${label}:${randomBytes(6).toString("hex")}:`;
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
