/**
 * The workflows do what the issue, the README and CONTRIBUTING say: the README's test command on
 * Node 20/22/24 with the pinned pnpm, a changeset check on pull requests, a release job with the
 * least permissions that publishes only after the full tests, with provenance, and a manual
 * snapshot release. actionlint checks that they are valid; this checks that they are ours.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readManifest, workspaceRoot } from "@vmcp/consumer-tests";
import { describe, expect, it } from "vitest";
import {
  allSteps,
  loadWorkflows,
  type WorkflowStep,
  workflow,
  workflowsDir,
} from "../src/workflows.js";

const root = readManifest(workspaceRoot);
const scripts = (root.scripts ?? {}) as Record<string, string>;
const pinnedPnpm = /^pnpm@(\d+\.\d+\.\d+)$/.exec(String(root.packageManager))?.[1];
const readme = readFileSync(join(workspaceRoot, "README.md"), "utf8");
const contributing = readFileSync(join(workspaceRoot, "CONTRIBUTING.md"), "utf8");

/** How a workflow reads a secret: `${{ secrets.NAME }}`. */
const secret = (name: string) => `\${{ secrets.${name} }}`;
const uses = (action: string) => (step: WorkflowStep) => step.uses?.split("@")[0] === action;
const runs = (pattern: RegExp) => (step: WorkflowStep) => pattern.test(step.run ?? "");
const index = (steps: readonly WorkflowStep[], match: (step: WorkflowStep) => boolean) => {
  const found = steps.findIndex(match);
  expect(found, `no step matches ${match.toString()}`).toBeGreaterThanOrEqual(0);
  return found;
};

/** The README's test command: what "command 2" of its set-up runs after the frozen install. */
const readmeTestScript =
  /Pass every test[^\n]*\n[^\n]*install --frozen-lockfile && npx -y pnpm@[\d.]+ ([\w:-]+)\n/.exec(
    readme,
  )?.[1];

describe("every workflow", () => {
  it.each(loadWorkflows())("$file installs the pinned pnpm and a frozen lockfile", (wf) => {
    expect(pinnedPnpm).toBeDefined();
    for (const job of Object.values(wf.jobs)) {
      const steps = job.steps;
      const setup = index(steps, uses("pnpm/action-setup"));
      // No `version:` means the packageManager pin; a version must be the same one.
      const version = steps[setup]?.with?.version;
      if (version !== undefined) expect(String(version)).toBe(pinnedPnpm);
      const node = index(steps, uses("actions/setup-node"));
      expect(setup, "pnpm comes before setup-node's pnpm cache").toBeLessThan(node);
      expect(steps[node]?.with?.cache).toBe("pnpm");
      expect(index(steps, runs(/^pnpm install --frozen-lockfile$/))).toBeGreaterThan(node);
    }
  });
});

describe("ci.yml", () => {
  const ci = workflow("ci.yml");

  it("runs the README's test command on Node 20, 22 and 24 with redis-server and a turbo cache", () => {
    expect(Object.keys(ci.on).sort()).toEqual(["pull_request", "push"]);
    expect(readmeTestScript).toBe("test:all");
    // The README pins the same pnpm as packageManager, which pnpm/action-setup installs.
    for (const match of readme.matchAll(/pnpm@(\d+\.\d+\.\d+)/g)) expect(match[1]).toBe(pinnedPnpm);
    expect(scripts[readmeTestScript ?? ""]).toMatch(/lint.*typecheck.*test/);
    const test = ci.jobs.test;
    expect(test?.strategy?.matrix?.node).toEqual([20, 22, 24]);
    const steps = test?.steps ?? [];
    const redis = index(steps, runs(/apt-get install .*redis-server/));
    const cache = index(steps, uses("actions/cache"));
    expect(steps[cache]?.with?.path).toBe(".turbo");
    expect(String(steps[cache]?.with?.key)).toContain("matrix.node");
    const command = index(steps, runs(new RegExp(`^pnpm ${readmeTestScript}$`)));
    expect(redis).toBeLessThan(command);
    expect(cache).toBeLessThan(command);
  });

  it("checks for a changeset against origin/main on pull requests", () => {
    const job = ci.jobs.changeset;
    expect(job?.if).toBe(
      "github.event_name == 'pull_request' && github.head_ref != 'changeset-release/main'",
    );
    const steps = job?.steps ?? [];
    expect(steps[index(steps, uses("actions/checkout"))]?.with?.["fetch-depth"]).toBe(0);
    index(steps, runs(/changeset status --since=origin\/main$/));
  });
});

describe("release.yml", () => {
  const release = workflow("release.yml");
  const job = release.jobs.release;
  const steps = job?.steps ?? [];

  it("runs on pushes to main, one at a time, with only the permissions it needs", () => {
    expect(release.on).toEqual({ push: { branches: ["main"] } });
    expect(release.concurrency?.group).toMatch(/^release/);
    expect(release.concurrency?.["cancel-in-progress"]).toBe(false);
    expect(release.permissions).toEqual({});
    expect(Object.keys(release.jobs)).toEqual(["release"]);
    expect(job?.permissions).toEqual({
      contents: "write",
      "pull-requests": "write",
      "id-token": "write",
    });
  });

  it("versions and publishes with changesets/action after the full tests, with provenance", () => {
    const tests = index(steps, runs(/^pnpm test:all$/));
    const shim = index(steps, runs(/\.github\/bin" >> "\$GITHUB_PATH"$/));
    const action = index(steps, uses("changesets/action"));
    expect(tests).toBeLessThan(action);
    expect(shim).toBeLessThan(action);
    const step = steps[action];
    expect(step?.with).toMatchObject({
      version: "pnpm run version-packages",
      publish: "pnpm run release",
      title: "Version Packages",
    });
    expect(scripts["version-packages"]).toMatch(
      /^changeset version && node scripts\/peer-floors\.mjs && pnpm install --lockfile-only$/,
    );
    expect(scripts.release).toMatch(/^turbo run build .*&& changeset publish$/);
    expect(step?.env).toEqual({
      GITHUB_TOKEN: secret("GITHUB_TOKEN"),
      NPM_TOKEN: secret("NPM_TOKEN"),
      NPM_CONFIG_PROVENANCE: "true",
    });
  });
});

describe("snapshot.yml", () => {
  const snapshot = workflow("snapshot.yml");
  const steps = allSteps(snapshot);

  it("is started by hand and publishes `pnpm release:snapshot` after the tests, with provenance", () => {
    expect(Object.keys(snapshot.on)).toEqual(["workflow_dispatch"]);
    expect(snapshot.permissions).toEqual({});
    expect(Object.values(snapshot.jobs).map((job) => job.permissions)).toEqual([
      { contents: "read", "id-token": "write" },
    ]);
    const tests = index(steps, runs(/^pnpm test:all$/));
    const shim = index(steps, runs(/\.github\/bin" >> "\$GITHUB_PATH"$/));
    const publish = index(steps, runs(/^pnpm run release:snapshot$/));
    expect(tests).toBeLessThan(publish);
    expect(shim).toBeLessThan(publish);
    expect(steps[publish]?.env).toEqual({
      NODE_AUTH_TOKEN: secret("NPM_TOKEN"),
      NPM_CONFIG_PROVENANCE: "true",
    });
    expect(scripts["release:snapshot"]).toBe(
      "turbo run build --filter=./packages/* && changeset version --snapshot snapshot && changeset publish --tag snapshot --no-git-tag",
    );
  });
});

describe("CONTRIBUTING.md", () => {
  it("names every workflow, every secret they use, and the release commands", () => {
    const secrets = new Set<string>();
    for (const wf of loadWorkflows()) {
      expect(contributing).toContain(`\`${wf.file}\``);
      const text = readFileSync(join(workflowsDir, wf.file), "utf8");
      for (const match of text.matchAll(/secrets\.([A-Z_]+)/g)) secrets.add(match[1] ?? "");
    }
    expect([...secrets].sort()).toEqual(["GITHUB_TOKEN", "NPM_TOKEN"]);
    for (const secret of secrets) expect(contributing).toContain(`| \`${secret}\``);
    for (const text of [
      "pnpm release:snapshot",
      "pnpm run version-packages",
      "Version Packages",
      "NPM_CONFIG_PROVENANCE",
      ".github/bin/pnpm",
      scripts["release:snapshot"]?.split(" && ")[1] ?? "?",
      scripts["release:snapshot"]?.split(" && ")[2] ?? "?",
    ]) {
      expect(contributing).toContain(text);
    }
  });
});
