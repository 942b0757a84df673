import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Real redis-servers (Sentinel failover, Cluster) take seconds to start and to fail over.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
