import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ConformanceScenarioOutcome, readConformanceResults } from "./conformance-results.js";
import {
  ConformanceToolError,
  type GetConformanceToolOptions,
  getConformanceTool,
  requiredServerScenarios,
} from "./conformance-tool.js";
import { runProcess } from "./run-process.js";

/**
 * How many server scenarios `--requirements 2026-07-28` requires. The set is frozen with that
 * revision: a run that reports another count ran another set.
 */
export const RequiredServerScenarios20260728 = 37;

/** Options for {@link runConformance}. */
export interface RunConformanceOptions {
  /** The requirement set to run (`--requirements`). Default `"2026-07-28"`. */
  readonly requirements?: string;
  /**
   * Bound on the run itself, ms (the tool takes about 6 s against a local backend, all 50
   * scenarios of 2026-07-28). Default 120,000.
   */
  readonly timeoutMs?: number;
  /** Bounds for getting the tool and Node.js 22 (see `getConformanceTool`). */
  readonly setup?: GetConformanceToolOptions;
  /**
   * Where the tool writes its results (`-o`); the caller's directory is kept. Default: a fresh
   * temporary directory, removed once read.
   */
  readonly outputDir?: string;
  /** A baseline file of expected failures (`--expected-failures`). Default none. */
  readonly expectedFailures?: string;
}

/** The outcome of {@link runConformance}. */
export interface ConformanceRun {
  /** The tool's exit code: 0 only when every required scenario passed (less the baseline). */
  readonly exitCode: number;
  /**
   * Every server scenario the requirement set requires (37 for 2026-07-28), in the tool's order,
   * with its checks. A required scenario that wrote no results counts as failed.
   */
  readonly requiredScenarios: ReadonlyMap<string, ConformanceScenarioOutcome>;
  /** The scenarios the tool ran but does not score (the tasks extension, pending scenarios). */
  readonly unscored: ReadonlyMap<string, ConformanceScenarioOutcome>;
  /** Wall time of the tool's run, ms. */
  readonly durationMs: number;
  /**
   * The tool's stdout, captured and never printed: it ends with a bare `Total: N passed, M failed`
   * line that CI's log reader would take for a test summary.
   */
  readonly stdout: string;
  /** The tool's stderr, captured. */
  readonly stderr: string;
}

/**
 * Runs the official MCP conformance tool's server scenarios against the MCP endpoint `url`
 * (`conformance server --url <url> --requirements <set> -o <dir>`), on Node.js 22, and reads
 * every scenario's `checks.json`. Use it against the reference backend directly
 * (`startConformanceBackend`) or against a gateway in front of it, and assert on the result:
 *
 * ```ts
 * const run = await runConformance(gatewayUrl);
 * expect(formatConformanceFailures(run.requiredScenarios), "failing checks").toBe("");
 * expect(run.exitCode).toBe(0);
 * ```
 *
 * The tool and Node.js 22 come from `.ci/conformance-tool` and `.ci/node-binary 22` (cached under
 * `~/.cache/vmcp-sessions`). Its output stays inside the returned value.
 * @throws {ConformanceToolError} when the tool or Node.js 22 cannot be had
 *   (`CONFORMANCE_NODE_UNAVAILABLE`, `CONFORMANCE_TOOL_UNAVAILABLE`: the message names the command
 *   that gets it), when it cannot list the requirement set (`CONFORMANCE_LIST_FAILED`), when the
 *   run passes `timeoutMs` (`CONFORMANCE_RUN_TIMEOUT`), or when it wrote no results at all
 *   (`CONFORMANCE_NO_RESULTS`, with its output).
 */
export async function runConformance(
  url: string,
  options: RunConformanceOptions = {},
): Promise<ConformanceRun> {
  const requirements = options.requirements ?? "2026-07-28";
  const timeoutMs = options.timeoutMs ?? 120_000;
  const tool = await getConformanceTool(options.setup);
  const required = await requiredServerScenarios(tool, requirements);
  const outputDir = options.outputDir ?? (await mkdtemp(join(tmpdir(), "vmcp-conformance-")));
  try {
    const args = [tool.bin, "server", "--url", url, "--requirements", requirements];
    args.push("-o", outputDir);
    if (options.expectedFailures !== undefined) {
      args.push("--expected-failures", options.expectedFailures);
    }
    const outcome = await runProcess(tool.node, args, { env: tool.env, timeoutMs });
    if (outcome.timedOut) {
      throw new ConformanceToolError(
        "CONFORMANCE_RUN_TIMEOUT",
        `the conformance run against ${url} passed ${timeoutMs} ms and was killed; its last output: ${outcome.stdout.slice(-500)}`,
      );
    }
    const results = await readConformanceResults(outputDir, required);
    if ([...results.requiredScenarios.values()].every((s) => s.checks[0]?.id === "no-results")) {
      throw new ConformanceToolError(
        "CONFORMANCE_NO_RESULTS",
        `the conformance tool wrote no results (exit ${outcome.code}): ${outcome.stderr.slice(-1000) || outcome.stdout.slice(-1000)}`,
      );
    }
    return {
      exitCode: outcome.code ?? -1,
      ...results,
      durationMs: outcome.durationMs,
      stdout: outcome.stdout,
      stderr: outcome.stderr,
    };
  } finally {
    if (options.outputDir === undefined) await rm(outputDir, { recursive: true, force: true });
  }
}
