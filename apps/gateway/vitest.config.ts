import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // End-to-end suites start their own processes on free ports; two at a time keeps a 2-core box responsive.
    maxWorkers: 2,
  },
});
