/** One row of a benchmark report: a measured figure against its same-run baseline. */
export interface RatioRow {
  /** What was measured, e.g. `"load (MemoryStorage vs LRUCache.get)"`. */
  readonly name: string;
  /** The figure for the code under test. */
  readonly value: number;
  /** The same figure for the baseline, measured in the same process. */
  readonly baseline: number;
  /** The unit of `value` and `baseline`, e.g. `"ops/s"` or `"ms"`. */
  readonly unit: string;
  /**
   * The aim for `value / baseline`, e.g. `{ atLeast: 0.25 }` for throughput or `{ atMost: 1.2 }`
   * for latency. Shown beside the ratio; the benchmark never fails on it.
   */
  readonly aim?: { readonly atLeast: number } | { readonly atMost: number };
}

/** Formats rows as an aligned text table with the ratio value/baseline and whether the aim is met. */
export function formatRatioTable(title: string, rows: readonly RatioRow[]): string {
  const header = ["measure", "value", "baseline", "unit", "ratio", "aim", "met"];
  const body = rows.map((row) => {
    const ratio = row.value / row.baseline;
    const aim =
      row.aim === undefined
        ? ""
        : "atLeast" in row.aim
          ? `>= ${row.aim.atLeast}`
          : `<= ${row.aim.atMost}`;
    const met =
      row.aim === undefined
        ? ""
        : ("atLeast" in row.aim ? ratio >= row.aim.atLeast : ratio <= row.aim.atMost)
          ? "yes"
          : "NO";
    return [row.name, fmt(row.value), fmt(row.baseline), row.unit, ratio.toFixed(2), aim, met];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join("  ");
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [title, line(header), rule, ...body.map(line)].join("\n");
}

function fmt(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString("en-US");
  return value.toPrecision(3);
}
