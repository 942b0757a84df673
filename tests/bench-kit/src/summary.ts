import { median } from "./compare.js";
import { type Measurement, percentile } from "./measure.js";
import type { RatioRow } from "./ratio-table.js";

/** One subject measured over several rounds: the median of each figure across the rounds. */
export interface RoundsSummary {
  /** Median operations per second. */
  readonly opsPerSec: number;
  /** Median of each round's p50 latency, ms. */
  readonly p50: number;
  /** Median of each round's p99 latency, ms. */
  readonly p99: number;
}

/**
 * The medians across `runs` (the rounds of one subject, each measured with `recordLatency`) of
 * throughput and of p50 and p99 latency. NaN figures when `runs` is empty.
 */
export function summarizeRounds(runs: readonly Measurement[]): RoundsSummary {
  return {
    opsPerSec: median(runs.map((run) => run.opsPerSec)),
    p50: median(runs.map((run) => percentile(run.latenciesMs, 50))),
    p99: median(runs.map((run) => percentile(run.latenciesMs, 99))),
  };
}

/**
 * The three ratio-table rows of a subject against its baseline, named `<label>: throughput`
 * (in `unit`, aiming at `throughputAtLeast` times the baseline's), `<label>: p50 latency` and
 * `<label>: p99 latency` (ms, no aim).
 */
export function summaryRows(
  label: string,
  value: RoundsSummary,
  baseline: RoundsSummary,
  options: { readonly unit: string; readonly throughputAtLeast: number },
): RatioRow[] {
  return [
    {
      name: `${label}: throughput`,
      value: value.opsPerSec,
      baseline: baseline.opsPerSec,
      unit: options.unit,
      aim: { atLeast: options.throughputAtLeast },
    },
    { name: `${label}: p50 latency`, value: value.p50, baseline: baseline.p50, unit: "ms" },
    { name: `${label}: p99 latency`, value: value.p99, baseline: baseline.p99, unit: "ms" },
  ];
}
