import {
  describeSessionStorageConformance,
  type StorageFixture,
  type TestApi,
} from "@vmcp/storage-test-suite";

type Body = () => Promise<void>;

/** What one run of the whole suite gave: every test's full name, and the ones that failed. */
export interface SuiteRun {
  readonly tests: readonly string[];
  readonly failed: readonly string[];
}

/** Runs the storage conformance suite outside any test runner (see {@link runCollected}). */
export function runSuite(setup: () => Promise<StorageFixture>): Promise<SuiteRun> {
  return runCollected((api) => describeSessionStorageConformance(api, { name: "store", setup }));
}

/**
 * Runs a suite outside any test runner: collects its groups, hooks and tests through the
 * `TestApi` handed to `describeSuite`, then runs each test between its hooks, recording failures.
 */
export async function runCollected(describeSuite: (api: TestApi) => void): Promise<SuiteRun> {
  const tests: Array<{ name: string; body: Body; before: Body[]; after: Body[] }> = [];
  const path: string[] = [];
  const before: Body[][] = [[]];
  const after: Body[][] = [[]];
  describeSuite({
    describe(name, body) {
      path.push(name);
      before.push([]);
      after.push([]);
      body();
      path.pop();
      before.pop();
      after.pop();
    },
    it(name, body) {
      tests.push({
        name: [...path, name].join(" > "),
        body,
        before: before.flat(),
        after: after.flat(),
      });
    },
    beforeEach(body) {
      before.at(-1)?.push(body);
    },
    afterEach(body) {
      after.at(-1)?.push(body);
    },
  });
  const failed: string[] = [];
  for (const test of tests) {
    try {
      for (const hook of test.before) await hook();
      try {
        await test.body();
      } finally {
        for (const hook of test.after) await hook();
      }
    } catch {
      failed.push(test.name);
    }
  }
  return { tests: tests.map((t) => t.name), failed };
}
