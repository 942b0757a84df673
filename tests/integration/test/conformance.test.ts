import {
  type ConformanceBackend,
  formatConformanceFailures,
  RequiredServerScenarios20260728,
  runConformance,
  startConformanceBackend,
} from "@vmcp/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** Bound on each set-up script (fetching Node.js 22, installing the tool), ms. */
const SetupTimeoutMs = 120_000;

/** Bound on the tool's run, ms (it takes about 4-6 s here). */
const RunTimeoutMs = 120_000;

describe("the official MCP conformance tool, 2026-07-28 requirements", () => {
  let backend: ConformanceBackend;

  beforeAll(async () => {
    backend = await startConformanceBackend();
  });

  afterAll(async () => {
    await backend?.close();
  });

  // The test itself gets the tool and Node.js 22 (`.ci/conformance-tool`, `.ci/node-binary 22`:
  // from the cache, or 10-20 s each the first time), so that when either cannot be had, the test
  // fails with the command that gets it; a failing set-up hook would show the test as skipped.
  it(
    "passes every required server scenario directly against the reference backend",
    async () => {
      const run = await runConformance(backend.url, {
        requirements: "2026-07-28",
        timeoutMs: RunTimeoutMs,
        setup: { timeoutMs: SetupTimeoutMs },
      });
      expect(formatConformanceFailures(run.requiredScenarios), "failing required checks").toBe("");
      expect(run.requiredScenarios.size).toBe(RequiredServerScenarios20260728);
      expect(run.exitCode, "the tool's exit code").toBe(0);
    },
    2 * SetupTimeoutMs + RunTimeoutMs + 60_000,
  );
});
