import type { ViteUserConfig } from "vitest/config";
import { RetriedTestsReporter } from "./vitest.retried-tests.js";

/**
 * How many times a failed test runs again before it counts as failed: `VMCP_TEST_RETRIES` when
 * set, else 1 under CI (`CI` set, as `.ci/run` and GitHub Actions do) and 0 elsewhere. A test
 * that passes only on a retry is named, with its first error, by `RetriedTestsReporter`.
 * `pnpm test:steady` runs with 0, so steadiness is proven without retries.
 */
export const TestRetries = Number(process.env.VMCP_TEST_RETRIES ?? (process.env.CI ? 1 : 0));

/**
 * The test options every package shares; a package's `vitest.config.ts` spreads them and adds
 * its own. The bounds are for a busy 2-core CI machine, where vitest's default of 5 s was
 * exceeded (100,000 session ID draws took 6.5 s there beside another suite; a stdio spawn 5.1 s).
 */
export const sharedTestOptions = {
  include: ["test/**/*.test.ts"],
  /** A test's bound, in ms. */
  testTimeout: 30_000,
  /** A hook's bound (a suite's set-up starts real processes), in ms. */
  hookTimeout: 60_000,
  retry: TestRetries,
  reporters: ["default", new RetriedTestsReporter()],
} satisfies NonNullable<ViteUserConfig["test"]>;
