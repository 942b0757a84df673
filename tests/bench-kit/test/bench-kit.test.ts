import {
  formatRatioTable,
  type Measurement,
  measure,
  percentile,
  summarizeRounds,
  summaryRows,
} from "@vmcp/bench-kit";
import { describe, expect, it } from "vitest";

describe("bench-kit", () => {
  it("runs every operation exactly once per measured pass, across callers", async () => {
    const seen: number[] = [];
    const result = await measure(50, async (i) => void seen.push(i), {
      concurrency: 4,
      warmupOps: 0,
      recordLatency: true,
    });
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(result.ops).toBe(50);
    expect(result.latenciesMs).toHaveLength(50);
  });

  it("takes nearest-rank percentiles", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([], 50)).toBeNaN();
  });

  it("prints the ratio and whether the aim is met", () => {
    const table = formatRatioTable("t", [
      { name: "load", value: 50, baseline: 100, unit: "ops/s", aim: { atLeast: 0.25 } },
      { name: "p99", value: 3, baseline: 2, unit: "ms", aim: { atMost: 1.2 } },
    ]);
    expect(table).toMatch(/load\s+50\.0\s+100\s+ops\/s\s+0\.50\s+>= 0\.25\s+yes/);
    expect(table).toMatch(/p99\s+3\.00\s+2\.00\s+ms\s+1\.50\s+<= 1\.2\s+NO/);
  });

  it("summarizes rounds by their medians and rows them against a baseline", () => {
    const round = (opsPerSec: number, latenciesMs: number[]): Measurement => ({
      ops: latenciesMs.length,
      elapsedMs: 1,
      opsPerSec,
      latenciesMs,
    });
    const value = summarizeRounds([
      round(100, [1, 2, 3, 40]),
      round(300, [2, 4, 6, 80]),
      round(200, [3, 6, 9, 60]),
    ]);
    expect(value).toEqual({ opsPerSec: 200, p50: 4, p99: 60 });
    const rows = summaryRows(
      "x",
      value,
      { opsPerSec: 400, p50: 2, p99: 30 },
      {
        unit: "calls/s",
        throughputAtLeast: 0.5,
      },
    );
    expect(rows).toEqual([
      { name: "x: throughput", value: 200, baseline: 400, unit: "calls/s", aim: { atLeast: 0.5 } },
      { name: "x: p50 latency", value: 4, baseline: 2, unit: "ms" },
      { name: "x: p99 latency", value: 60, baseline: 30, unit: "ms" },
    ]);
  });
});
