/**
 * @vmcp/bench-kit: the timing loop, percentiles and ratio table every benchmark of the
 * workspace shares, so each reports against a baseline measured in the same process.
 * @packageDocumentation
 */
export { type Comparison, compareThroughput, median } from "./compare.js";
export { type Measurement, type MeasureOptions, measure, percentile } from "./measure.js";
export { formatRatioTable, type RatioRow } from "./ratio-table.js";
export { sampleSessionMetadata } from "./sample-session.js";
export { type RoundsSummary, summarizeRounds, summaryRows } from "./summary.js";
