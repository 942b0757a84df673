import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

/** One check of a scenario, as the tool writes it to `checks.json`. */
export interface ConformanceCheck {
  readonly id: string;
  readonly name: string;
  readonly description?: string;
  /** `SUCCESS`, `FAILURE`, `WARNING`, `INFO` or `SKIPPED`. Only `FAILURE` fails a scenario. */
  readonly status: string;
  readonly errorMessage?: string;
  readonly details?: unknown;
}

/** The checks of one scenario. */
export interface ConformanceScenarioOutcome {
  /** True when no check is a `FAILURE` and the scenario wrote its results. */
  readonly passed: boolean;
  /** Every check, in the order the tool wrote them. */
  readonly checks: readonly ConformanceCheck[];
  /** The `FAILURE` checks (for a required scenario with no results: one synthetic check saying so). */
  readonly failures: readonly ConformanceCheck[];
  /** The `WARNING` checks: SHOULD-level findings that do not fail the scenario. */
  readonly warnings: readonly ConformanceCheck[];
}

/** A results directory is `server-<scenario>-<ISO time with ':' and '.' as '-'>`. */
const ResultDir = /^server-(.+)-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/;

function isCheck(value: unknown): value is ConformanceCheck {
  if (typeof value !== "object" || value === null) return false;
  return "id" in value && typeof value.id === "string" && "status" in value;
}

function outcomeOf(checks: ConformanceCheck[]): ConformanceScenarioOutcome {
  const failures = checks.filter((c) => c.status === "FAILURE");
  const warnings = checks.filter((c) => c.status === "WARNING");
  return { passed: failures.length === 0, checks, failures, warnings };
}

/**
 * Reads every `server-*` results directory the tool wrote into `outputDir` and sorts the scenarios
 * into `required` (the names in `required`, in that order) and `unscored` (the rest). A required
 * scenario with no results directory counts as failed, with one synthetic `FAILURE` check
 * (`no-results`), so a scenario the tool skipped or crashed on can never pass unseen.
 */
export async function readConformanceResults(
  outputDir: string,
  required: readonly string[],
): Promise<{
  requiredScenarios: Map<string, ConformanceScenarioOutcome>;
  unscored: Map<string, ConformanceScenarioOutcome>;
}> {
  const byScenario = new Map<string, ConformanceCheck[]>();
  for (const entry of await readdir(outputDir, { withFileTypes: true })) {
    const scenario = entry.isDirectory() ? ResultDir.exec(entry.name)?.[1] : undefined;
    if (scenario === undefined) continue;
    const parsed: unknown = JSON.parse(
      await readFile(join(outputDir, entry.name, "checks.json"), "utf8"),
    );
    const checks = Array.isArray(parsed) ? parsed.filter(isCheck) : [];
    byScenario.set(scenario, [...(byScenario.get(scenario) ?? []), ...checks]);
  }
  const requiredScenarios = new Map<string, ConformanceScenarioOutcome>();
  for (const name of required) {
    const checks = byScenario.get(name) ?? [
      {
        id: "no-results",
        name: "NoResults",
        status: "FAILURE",
        errorMessage: `the tool wrote no results for required scenario ${name}`,
      },
    ];
    requiredScenarios.set(name, outcomeOf(checks));
  }
  const unscored = new Map<string, ConformanceScenarioOutcome>();
  for (const [name, checks] of byScenario) {
    if (!requiredScenarios.has(name)) unscored.set(name, outcomeOf(checks));
  }
  return { requiredScenarios, unscored };
}

/**
 * One line per failing check of the given scenarios, grouped by scenario:
 * `<scenario>: <check id>: <error message>`; the empty string when none failed. Made for an
 * assertion message.
 */
export function formatConformanceFailures(
  scenarios: ReadonlyMap<string, ConformanceScenarioOutcome>,
): string {
  const lines: string[] = [];
  for (const [name, outcome] of scenarios) {
    for (const check of outcome.failures) {
      lines.push(`${name}: ${check.id}: ${check.errorMessage ?? check.description ?? check.name}`);
    }
  }
  return lines.join("\n");
}
