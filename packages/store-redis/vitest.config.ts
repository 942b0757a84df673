import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Real redis-servers (Sentinel failover, Cluster) take seconds to start and to fail over.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // One file at a time: the Cluster fault tests keep six redis-servers and redis-cli busy, and
    // on a 2-core machine they would starve the timing-sensitive conformance cases beside them.
    fileParallelism: false,
  },
});
