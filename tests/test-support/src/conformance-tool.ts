import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runProcess } from "./run-process.js";

/** Why the conformance tool could not be used. */
export type ConformanceToolErrorCode =
  | "CONFORMANCE_NODE_UNAVAILABLE"
  | "CONFORMANCE_TOOL_UNAVAILABLE"
  | "CONFORMANCE_LIST_FAILED"
  | "CONFORMANCE_RUN_TIMEOUT"
  | "CONFORMANCE_NO_RESULTS";

/** The conformance tool, or the Node.js it needs, could not be had or run; the message says how. */
export class ConformanceToolError extends Error {
  override readonly name = "ConformanceToolError";
  constructor(
    readonly code: ConformanceToolErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The official conformance tool, ready to run. */
export interface ConformanceTool {
  /** The `conformance` bin (a JS file, run with {@link node}). */
  readonly bin: string;
  /** The Node.js 22 binary it runs on (it does not start on Node.js 20). */
  readonly node: string;
  /** The environment to run it in: `PATH` starts with Node.js 22's bin directory. */
  readonly env: NodeJS.ProcessEnv;
}

/** Options for {@link getConformanceTool}. */
export interface GetConformanceToolOptions {
  /**
   * Bound on each of the two set-up scripts, ms: fetching Node.js 22 and installing the tool
   * (each about 10-20 s the first time, 1-2 s once cached). Default 120,000.
   */
  readonly timeoutMs?: number;
}

/** The repository's `.ci` directory (this file runs from tests/test-support/dist). */
const ciDir = fileURLToPath(new URL("../../../.ci/", import.meta.url));

let cached: Promise<ConformanceTool> | undefined;

async function lastLine(script: string, args: string[], timeoutMs: number) {
  const outcome = await runProcess(join(ciDir, script), args, { timeoutMs });
  const line = outcome.stdout.trim().split("\n").at(-1) ?? "";
  if (outcome.code === 0 && line !== "") return { line };
  const why = outcome.timedOut
    ? `timed out after ${timeoutMs} ms`
    : `exit ${outcome.code}: ${outcome.stderr.trim().split("\n").slice(-5).join(" | ")}`;
  return { error: why };
}

/**
 * Gets the official MCP conformance tool (`@modelcontextprotocol/conformance`, the version pinned
 * in `.ci/conformance-tool`) and the Node.js 22 it needs, both cached under
 * `~/.cache/vmcp-sessions` by the repository's own scripts: `.ci/node-binary 22` and
 * `.ci/conformance-tool` (npm and the npm registry are needed the first time). Memoised per
 * process; a failed attempt is not memoised.
 * @throws {ConformanceToolError} `CONFORMANCE_NODE_UNAVAILABLE` or `CONFORMANCE_TOOL_UNAVAILABLE`,
 *   naming the command that gets it by hand.
 */
export function getConformanceTool(
  options: GetConformanceToolOptions = {},
): Promise<ConformanceTool> {
  cached ??= prepare(options.timeoutMs ?? 120_000).catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}

async function prepare(timeoutMs: number): Promise<ConformanceTool> {
  const nodeBin = await lastLine("node-binary", ["22"], timeoutMs);
  if (nodeBin.error !== undefined) {
    throw new ConformanceToolError(
      "CONFORMANCE_NODE_UNAVAILABLE",
      `the conformance tool needs Node.js 22, and \`.ci/node-binary 22\` could not fetch it (${nodeBin.error}). ` +
        "Run `.ci/node-binary 22` from the repository root (it needs npm and the npm registry) and run the test again.",
    );
  }
  const node = join(nodeBin.line, "node");
  const bin = await lastLine("conformance-tool", [], timeoutMs);
  if (bin.error !== undefined || !existsSync(bin.line)) {
    throw new ConformanceToolError(
      "CONFORMANCE_TOOL_UNAVAILABLE",
      `\`.ci/conformance-tool\` could not install @modelcontextprotocol/conformance (${bin.error ?? `no file at ${bin.line}`}). ` +
        "Run `.ci/conformance-tool` from the repository root (it needs npm and the npm registry) and run the test again.",
    );
  }
  const env = { ...process.env, PATH: `${nodeBin.line}:${process.env.PATH ?? ""}` };
  return { bin: bin.line, node, env };
}

/**
 * The server scenarios a requirement set (e.g. `2026-07-28`) requires, as the tool lists them
 * (`conformance list --requirements <set>`, section "Server scenarios").
 * @throws {ConformanceToolError} `CONFORMANCE_LIST_FAILED` when the tool fails or lists none.
 */
export async function requiredServerScenarios(
  tool: ConformanceTool,
  requirements: string,
): Promise<string[]> {
  const outcome = await runProcess(tool.node, [tool.bin, "list", "--requirements", requirements], {
    env: tool.env,
    timeoutMs: 30_000,
  });
  const names: string[] = [];
  let inServerSection = false;
  for (const line of outcome.stdout.split("\n")) {
    if (/^Server scenarios\b/.test(line)) inServerSection = true;
    else if (/^\S/.test(line)) inServerSection = false;
    else if (inServerSection) {
      const name = /^\s+- (\S+)\s*$/.exec(line)?.[1];
      if (name !== undefined) names.push(name);
    }
  }
  if (outcome.code !== 0 || names.length === 0) {
    throw new ConformanceToolError(
      "CONFORMANCE_LIST_FAILED",
      `\`conformance list --requirements ${requirements}\` gave exit ${outcome.code} and ${names.length} server scenarios: ${outcome.stderr.trim() || outcome.stdout.trim().slice(0, 500)}`,
    );
  }
  return names;
}
