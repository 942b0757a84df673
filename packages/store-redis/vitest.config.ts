import { defineConfig } from "vitest/config";
import { excludeOutsideScope, sharedTestOptions } from "../../vitest.shared.js";

export default defineConfig({
  test: {
    ...sharedTestOptions,
    // One file at a time: the Cluster fault tests keep six redis-servers and redis-cli busy, and
    // on a 2-core machine they would starve the timing-sensitive conformance cases beside them.
    fileParallelism: false,
    // Suites that prove Redis's own failovers, reshards and Sentinel promotions: run once per CI
    // run, on its first Node.js (VMCP_TEST_SCOPE=runtime leaves them out of the others).
    exclude: excludeOutsideScope([
      "test/**/cluster-faults.test.ts",
      "test/**/bus-cluster-faults.test.ts",
      "test/**/cluster-durability.test.ts",
      "test/**/cluster-listing.test.ts",
      "test/**/cluster-redirects.test.ts",
      "test/**/sentinel-durability.test.ts",
      "test/**/bus-sentinel-failover.test.ts",
      "test/**/node-redis-failover.test.ts",
    ]),
  },
});
