import {
  type BusConformanceOptions,
  describeSessionMessageBusConformance,
} from "@vmcp/storage-test-suite";
import type { SuiteRun } from "./run-suite.js";

type Body = () => Promise<void>;

/** Runs the bus suite outside any test runner (as `runSuite` does for the storage suite). */
export async function runBusSuite(options: Omit<BusConformanceOptions, "name">): Promise<SuiteRun> {
  const tests: Array<{ name: string; body: Body; before: Body[]; after: Body[] }> = [];
  const path: string[] = [];
  const before: Body[][] = [[]];
  const after: Body[][] = [[]];
  describeSessionMessageBusConformance(
    {
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
    },
    { ...options, name: "bus" },
  );
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
