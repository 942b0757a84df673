import { defineConfig } from "vitest/config";
import { sharedTestOptions } from "../../vitest.shared.js";

export default defineConfig({
  test: {
    ...sharedTestOptions,
    testTimeout: 60_000,
    // End-to-end suites start their own processes on free ports; two at a time keeps a 2-core box responsive.
    maxWorkers: 2,
  },
});
