import {
  type BusConformanceOptions,
  describeSessionMessageBusConformance,
} from "@vmcp/storage-test-suite";
import { runCollected, type SuiteRun } from "./run-suite.js";

/** Runs the bus suite outside any test runner (as `runSuite` does for the storage suite). */
export function runBusSuite(options: Omit<BusConformanceOptions, "name">): Promise<SuiteRun> {
  return runCollected((api) =>
    describeSessionMessageBusConformance(api, { ...options, name: "bus" }),
  );
}
