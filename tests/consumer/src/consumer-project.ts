import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { projectDependencies } from "./locked-versions.js";
import type { PackedPackage } from "./pack-packages.js";
import { importedPackages, type ReadmeExample } from "./readme-examples.js";
import { CommandFailedError, runCommand } from "./run-command.js";
import { workspaceRange, workspaceRoot } from "./workspace.js";

/** The template of the consumer project: tsconfig.json and src/, copied as they are. */
export const projectTemplate = fileURLToPath(new URL("../project", import.meta.url));

/** The bound on `npm install` in the consumer project, ms. */
export const NpmInstallTimeoutMs = 300_000;

/** The bound on type-checking and compiling the consumer project, ms. */
export const CompileTimeoutMs = 120_000;

/** A consumer project, installed from tarballs and compiled. */
export interface ConsumerProject {
  /** Its folder, absolute, outside the workspace. */
  readonly dir: string;
  /** What `tsc` printed: empty when everything type-checked. */
  readonly tscOutput: string;
}

/**
 * Creates a project in `dir` (which must lie outside the workspace) that depends on every packed
 * package by its tarball, on the peers a user brings (`ioredis`, and the optional
 * `@modelcontextprotocol/sdk` for `McpBackendConnector` and `@opentelemetry/api` for tracing: this
 * project is an application that traces; the install-weight test covers one without), on
 * `@types/node` and on every
 * third-party package a README example imports (at the workspace's ranges); installs it with
 * plain `npm install` from the tarballs and the registry; writes the README examples to
 * src/readme/ and compiles everything with the workspace's `tsc`.
 * @throws {Error} when `dir` is inside the workspace, npm fails, or an @vmcp package is linked
 * rather than installed.
 */
export async function createConsumerProject(
  dir: string,
  packed: readonly PackedPackage[],
  examples: readonly ReadmeExample[],
): Promise<ConsumerProject> {
  const fromRoot = relative(workspaceRoot, dir);
  if (!fromRoot.startsWith("..") && !isAbsolute(fromRoot)) {
    throw new Error(`the consumer project must lie outside the workspace, got ${dir}`);
  }
  const tarballs: Record<string, string> = {};
  for (const pkg of packed) tarballs[pkg.manifest.name] = `file:${pkg.tarball}`;
  const thirdParty = new Set([
    "ioredis",
    "@modelcontextprotocol/sdk",
    "@opentelemetry/api",
    "@types/node",
  ]);
  for (const example of examples) {
    for (const name of importedPackages(example.code)) {
      if (!name.startsWith("@vmcp/")) thirdParty.add(name);
    }
  }
  const declared = projectDependencies(tarballs, thirdParty, workspaceRange);

  mkdirSync(dir, { recursive: true });
  cpSync(projectTemplate, dir, { recursive: true });
  writeFileSync(
    join(dir, "package.json"),
    `${JSON.stringify({ name: "vmcp-consumer", private: true, type: "module", ...declared }, null, 2)}\n`,
  );
  mkdirSync(join(dir, "src", "readme"), { recursive: true });
  for (const example of examples) {
    writeFileSync(join(dir, "src", "readme", example.fileName), example.code);
  }

  await runCommand(
    "npm",
    ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"],
    { cwd: dir, timeoutMs: NpmInstallTimeoutMs, env: { npm_config_update_notifier: "false" } },
  );
  for (const pkg of packed) {
    const installed = join(dir, "node_modules", ...pkg.manifest.name.split("/"));
    if (!existsSync(installed) || lstatSync(installed).isSymbolicLink()) {
      throw new Error(`${pkg.manifest.name} is not installed as a plain folder in ${dir}`);
    }
    const manifest = readFileSync(join(installed, "package.json"), "utf8");
    if (manifest.includes("workspace:")) {
      throw new Error(`${pkg.manifest.name} was installed with a workspace: range`);
    }
  }

  let tscOutput = "";
  try {
    await runCommand(
      join(workspaceRoot, "node_modules", ".bin", "tsc"),
      ["-p", dir, "--pretty", "false"],
      {
        cwd: dir,
        timeoutMs: CompileTimeoutMs,
      },
    );
  } catch (error) {
    if (!(error instanceof CommandFailedError)) throw error;
    tscOutput = `${error.stdout}${error.stderr}`.trim();
    if (tscOutput === "") throw error;
  }
  return { dir, tscOutput };
}
