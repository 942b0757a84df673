import { performance } from "node:perf_hooks";

/** The result of one measured workload. */
export interface Measurement {
  /** Operations completed. */
  readonly ops: number;
  /** Wall time of the measured run, in milliseconds. */
  readonly elapsedMs: number;
  /** Operations per second. */
  readonly opsPerSec: number;
  /** Per-operation latencies in milliseconds, sorted ascending (only when recorded). */
  readonly latenciesMs: readonly number[];
}

/** Options for {@link measure}. */
export interface MeasureOptions {
  /** Operations to run untimed first, so the JIT and caches settle. Default 10% of `ops`. */
  readonly warmupOps?: number;
  /** Callers running at once; each awaits its own operation before starting the next. Default 1. */
  readonly concurrency?: number;
  /** Record every operation's latency (costs a little). Default false. */
  readonly recordLatency?: boolean;
}

/**
 * Runs `op(i)` for i = 0..ops-1 with `concurrency` callers, after a warm-up, and measures the
 * wall time. `op` may be synchronous or return a promise.
 */
export async function measure(
  ops: number,
  op: (i: number) => unknown,
  options: MeasureOptions = {},
): Promise<Measurement> {
  const warmupOps = options.warmupOps ?? Math.ceil(ops / 10);
  const concurrency = Math.max(1, options.concurrency ?? 1);
  await runOps(warmupOps, op, concurrency, undefined);
  const latencies: number[] | undefined = options.recordLatency ? [] : undefined;
  const start = performance.now();
  await runOps(ops, op, concurrency, latencies);
  const elapsedMs = performance.now() - start;
  return {
    ops,
    elapsedMs,
    opsPerSec: (ops / elapsedMs) * 1000,
    latenciesMs: latencies ? latencies.sort((a, b) => a - b) : [],
  };
}

async function runOps(
  ops: number,
  op: (i: number) => unknown,
  concurrency: number,
  latencies: number[] | undefined,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < ops) {
      const i = next++;
      const t0 = latencies ? performance.now() : 0;
      const result = op(i);
      if (result instanceof Promise) await result;
      if (latencies) latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ops) }, worker));
}

/** The `p`-th percentile (0 to 100) of ascending-sorted values, nearest rank; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}
