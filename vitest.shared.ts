import { configDefaults, type ViteUserConfig } from "vitest/config";
import { RetriedTestsReporter } from "./vitest.retried-tests.js";

/**
 * How many times a failed test runs again before it counts as failed: `VMCP_TEST_RETRIES` when
 * set, else 1 under CI (`CI` set, as `.ci/run` and GitHub Actions do) and 0 elsewhere. A test
 * that passes only on a retry is named, with its first error, by `RetriedTestsReporter`.
 * `pnpm test:steady` runs with 0, so steadiness is proven without retries.
 */
export const TestRetries = Number(process.env.VMCP_TEST_RETRIES ?? (process.env.CI ? 1 : 0));

/**
 * Which tests a run takes. `VMCP_TEST_SCOPE=runtime` leaves out the suites that test Redis itself
 * (failovers, reshards, Sentinel: the same on every Node.js) rather than our code on the runtime;
 * `.ci/run` uses it on the Node.js versions after the first, which runs everything. Unset, or
 * `all`: every test.
 * @throws {Error} for any other value, so a misspelt scope never runs a silent subset.
 */
export const TestScope: "all" | "runtime" = (() => {
  const scope = process.env.VMCP_TEST_SCOPE ?? "all";
  if (scope === "all" || scope === "runtime") return scope;
  throw new Error(`VMCP_TEST_SCOPE must be "all" or "runtime", got ${JSON.stringify(scope)}`);
})();

/**
 * The `exclude` option of a package with suites outside the runtime scope: vitest's default
 * exclusions, plus `redisOnly` (globs relative to the package) when `TestScope` is `runtime`.
 */
export function excludeOutsideScope(redisOnly: readonly string[]): string[] {
  return [...configDefaults.exclude, ...(TestScope === "runtime" ? redisOnly : [])];
}

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
