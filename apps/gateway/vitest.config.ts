import { defineConfig } from "vitest/config";
import { excludeOutsideScope, sharedTestOptions } from "../../vitest.shared.js";

export default defineConfig({
  test: {
    ...sharedTestOptions,
    testTimeout: 60_000,
    // End-to-end suites start their own processes on free ports; two at a time keeps a 2-core box responsive.
    maxWorkers: 2,
    // The session listing across a resharding Redis Cluster: run on CI's first Node.js only.
    exclude: excludeOutsideScope(["test/**/sessions-cluster.e2e.test.ts"]),
  },
});
