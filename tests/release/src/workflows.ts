import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { workspaceRoot } from "@vmcp/consumer-tests";
import { parse } from "yaml";

/** The folder GitHub reads workflows from. */
export const workflowsDir = join(workspaceRoot, ".github", "workflows");

/** One step of a job, as written. */
export interface WorkflowStep {
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly with?: Readonly<Record<string, string | number | boolean>>;
  readonly env?: Readonly<Record<string, string | number | boolean>>;
}

/** One job, as written (the parts these tests read). */
export interface WorkflowJob {
  readonly if?: string;
  readonly permissions?: Readonly<Record<string, string>> | string;
  readonly strategy?: { readonly matrix?: Readonly<Record<string, readonly unknown[]>> };
  readonly steps: readonly WorkflowStep[];
}

/** One workflow file, parsed. */
export interface Workflow {
  /** The file name, e.g. `ci.yml`. */
  readonly file: string;
  readonly name?: string;
  readonly on: Readonly<Record<string, unknown>>;
  readonly permissions?: Readonly<Record<string, string>> | string;
  readonly concurrency?: {
    readonly group: string;
    readonly "cancel-in-progress"?: boolean | string;
  };
  readonly env?: Readonly<Record<string, string>>;
  readonly jobs: Readonly<Record<string, WorkflowJob>>;
}

/** Every `*.yml` / `*.yaml` file of .github/workflows, parsed, sorted by file name. */
export function loadWorkflows(): Workflow[] {
  return readdirSync(workflowsDir)
    .filter((file) => /\.ya?ml$/.test(file))
    .sort()
    .map((file) => {
      const doc = parse(readFileSync(join(workflowsDir, file), "utf8")) as Omit<Workflow, "file">;
      return { ...doc, file };
    });
}

/** The workflow in `file`. @throws {Error} when there is none. */
export function workflow(file: string): Workflow {
  const found = loadWorkflows().find((w) => w.file === file);
  if (found === undefined) throw new Error(`.github/workflows/${file} is missing`);
  return found;
}

/** Every step of every job of `wf`, in order. */
export function allSteps(wf: Workflow): WorkflowStep[] {
  return Object.values(wf.jobs).flatMap((job) => job.steps);
}
