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
    // test's bound). Likewise the suites about what Redis does under the gateway rather than the
    // runtime: Redis down or stalled at start, stored records listed by the CLI, era verdicts'
    // TTL in Redis, and sessions shared by replicas through Redis (the cross-replica relay,
    // pooled, parked and era-matrix suites still run on every Node.js). They kept CI's 22 and 24
    // runs near 12 minutes.
    exclude: excludeOutsideScope([
      "test/**/sessions-cluster.e2e.test.ts",
      "test/**/demo.e2e.test.ts",
      "test/**/store-startup.e2e.test.ts",
      "test/**/store-stall.e2e.test.ts",
      "test/**/sessions-kinds.e2e.test.ts",
      "test/**/modern-verdicts-redis.e2e.test.ts",
      "test/**/redis-replicas.e2e.test.ts",
    ]),
  },
});
