import { setTimeout as sleep } from "node:timers/promises";

/**
 * Polls `probe` every `intervalMs` (default 20 ms) until it returns true, and resolves the ms it
 * waited; rejects naming `what` once `timeoutMs` (default 5,000 ms) have passed without it. Use it
 * instead of a fixed sleep: it returns as soon as the condition holds, and a busy machine only
 * makes it slower, not wrong.
 */
export async function waitUntil(
  probe: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
  what = "condition",
  intervalMs = 20,
): Promise<number> {
  const started = performance.now();
  while (!(await probe())) {
    if (performance.now() - started > timeoutMs) {
      throw new Error(`${what} not met within ${timeoutMs} ms`);
    }
    await sleep(intervalMs);
  }
  return performance.now() - started;
}
