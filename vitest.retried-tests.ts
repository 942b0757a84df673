import type { Reporter, TestCase } from "vitest/node";

/**
 * A vitest reporter that names every test which passed only on a retry, with the first error it
 * failed with, after the run. Vitest's default reporter shows such a test as a plain pass; CI
 * retries a failed test once (see `vitest.shared.ts`), so this keeps an unsteady test visible
 * instead of hidden. Each line starts with `RETRIED`, which `.ci/run` collects into its summary.
 */
export class RetriedTestsReporter implements Reporter {
  readonly #retried: string[] = [];

  onTestCaseResult(testCase: TestCase): void {
    const diagnostic = testCase.diagnostic();
    if (!diagnostic || diagnostic.retryCount === 0 || testCase.result().state !== "passed") return;
    const firstError = testCase.result().errors?.[0]?.message?.split("\n")[0] ?? "(no message)";
    const file = testCase.module.moduleId.replace(/^.*?\/test\//, "test/");
    this.#retried.push(
      `RETRIED ${file} > ${testCase.fullName} (after ${diagnostic.retryCount} failure(s)): ${firstError}`,
    );
  }

  onTestRunEnd(): void {
    if (this.#retried.length === 0) return;
    console.log(`\n${this.#retried.length} test(s) passed only on a retry:`);
    for (const line of this.#retried) console.log(line);
  }
}
