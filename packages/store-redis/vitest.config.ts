import { defineConfig } from "vitest/config";
import { sharedTestOptions } from "../../vitest.shared.js";

export default defineConfig({
  test: {
    ...sharedTestOptions,
    // One file at a time: the Cluster fault tests keep six redis-servers and redis-cli busy, and
    // on a 2-core machine they would starve the timing-sensitive conformance cases beside them.
    fileParallelism: false,
  },
});
