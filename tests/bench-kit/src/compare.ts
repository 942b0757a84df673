import { type MeasureOptions, measure } from "./measure.js";

/** Median throughputs of a subject and its baseline, measured in alternating rounds. */
export interface Comparison {
  /** Median operations per second of the code under test. */
  readonly subjectOpsPerSec: number;
  /** Median operations per second of the baseline. */
  readonly baselineOpsPerSec: number;
}

/**
 * Measures `baseline` and `subject` in alternating rounds (default 5) of `ops` operations each
 * and returns the median throughput of each, so that load from other processes on a shared
 * machine hits both sides alike.
 */
export async function compareThroughput(
  ops: number,
  baseline: (i: number) => unknown,
  subject: (i: number) => unknown,
  options: MeasureOptions & { readonly rounds?: number } = {},
): Promise<Comparison> {
  const rounds = options.rounds ?? 5;
  const base: number[] = [];
  const subj: number[] = [];
  for (let round = 0; round < rounds; round++) {
    base.push((await measure(ops, baseline, options)).opsPerSec);
    subj.push((await measure(ops, subject, options)).opsPerSec);
  }
  return { subjectOpsPerSec: median(subj), baselineOpsPerSec: median(base) };
}

/** The median of a non-empty list of numbers; NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
