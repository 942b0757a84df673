import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { projectDependencies, runCommand, workspaceRange } from "@vmcp/consumer-tests";
import { QuietEnv } from "./repository-copy.js";

/** The bound on `npm install` in the project, ms. */
export const RegistryInstallTimeoutMs = 300_000;

/**
 * Creates a plain npm project in `dir` (outside the workspace) that depends on `packages` at the
 * exact versions given, with the `@vmcp` scope routed to `registryUrl` and every other package
 * from the default registry (third-party dependencies and the peers a user brings: `ioredis`), at
 * the lockfile's versions (the newest in range under `VMCP_DEPS=latest`), and installs it with
 * `npm install --prefer-online`: npm's cache keys a packument by its URL, and the registry's port
 * is drawn again each run, so a port an earlier run used would otherwise hand npm that run's
 * packument of the same version (another tarball: seen once in CI); revalidating every packument
 * costs one conditional request each.
 */
export async function installFromRegistry(
  dir: string,
  registryUrl: string,
  packages: ReadonlyMap<string, string>,
): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const declared = projectDependencies(Object.fromEntries(packages), ["ioredis"], workspaceRange);
  writeFileSync(
    join(dir, "package.json"),
    `${JSON.stringify({ name: "vmcp-registry-consumer", private: true, type: "module", ...declared }, null, 2)}\n`,
  );
  writeFileSync(join(dir, ".npmrc"), `@vmcp:registry=${registryUrl}\n`);
  await runCommand(
    "npm",
    ["install", "--no-audit", "--no-fund", "--prefer-online", "--loglevel=error"],
    { cwd: dir, timeoutMs: RegistryInstallTimeoutMs, env: QuietEnv },
  );
}
