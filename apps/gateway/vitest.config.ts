import { defineConfig } from "vitest/config";
import { excludeOutsideScope, sharedTestOptions } from "../../vitest.shared.js";

export default defineConfig({
  test: {
    ...sharedTestOptions,
    testTimeout: 60_000,
    // End-to-end suites start their own processes on free ports; two at a time keeps a 2-core box responsive.
    maxWorkers: 2,
    // Run on CI's first Node.js only: the session listing across a resharding Redis Cluster (it
    // tests Redis), and the demo, whose printed command goes through npx, pnpm and a nested turbo
    // build (it tests the tooling; beside CI's two side-by-side runs, that turbo waited out the
    // test's bound).
    exclude: excludeOutsideScope([
      "test/**/sessions-cluster.e2e.test.ts",
      "test/**/demo.e2e.test.ts",
    ]),
  },
});
