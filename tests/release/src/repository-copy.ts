import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { type Manifest, readManifest, runCommand, workspaceRoot } from "@vmcp/consumer-tests";

/** The bound on one git, pnpm or changesets command in the copy, ms. */
export const CopyCommandTimeoutMs = 180_000;

/** Environment for every command in the copy: no telemetry, no update check, no prompts. */
export const QuietEnv: Readonly<Record<string, string>> = {
  TURBO_TELEMETRY_DISABLED: "1",
  npm_config_update_notifier: "false",
  GIT_AUTHOR_NAME: "release-test",
  GIT_AUTHOR_EMAIL: "release-test@localhost",
  GIT_COMMITTER_NAME: "release-test",
  GIT_COMMITTER_EMAIL: "release-test@localhost",
};

/**
 * Copies the repository as a contributor sees it (every tracked file and every untracked one git
 * does not ignore: no node_modules, dist or .turbo) into `dest`, makes it a git repository of one
 * commit on `main`, and installs it with `pnpm install --frozen-lockfile --offline` (from the pnpm
 * store the workspace's own install filled).
 * @returns the copied file count.
 */
export async function copyRepository(dest: string): Promise<number> {
  const { stdout } = await runCommand(
    "git",
    ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    { cwd: workspaceRoot, timeoutMs: CopyCommandTimeoutMs },
  );
  const files = stdout.split("\0").filter((file) => file !== "");
  let copied = 0;
  for (const file of files) {
    // A file deleted in the work tree but not yet in the index is not part of the copy.
    if (!existsSync(join(workspaceRoot, file))) continue;
    mkdirSync(dirname(join(dest, file)), { recursive: true });
    copyFileSync(join(workspaceRoot, file), join(dest, file));
    copied++;
  }
  await git(dest, "init", "-q", "-b", "main");
  await commitAll(dest, "Copy of the repository under test");
  await runCommand("pnpm", ["install", "--frozen-lockfile", "--offline"], {
    cwd: dest,
    timeoutMs: CopyCommandTimeoutMs,
    env: QuietEnv,
  });
  return copied;
}

/** Runs git in `dir`. */
export async function git(dir: string, ...args: string[]): Promise<string> {
  const { stdout } = await runCommand("git", args, {
    cwd: dir,
    timeoutMs: CopyCommandTimeoutMs,
    env: QuietEnv,
  });
  return stdout;
}

/** Stages everything in `dir` and commits it (an empty commit when nothing changed). */
export async function commitAll(dir: string, message: string): Promise<void> {
  await git(dir, "add", "-A");
  await git(dir, "commit", "-q", "--allow-empty", "-m", message);
}

/** The publishable packages of a copy (`packages/*` without `"private": true`), by name. */
export function publishableManifests(dir: string): Map<string, Manifest & { folder: string }> {
  const result = new Map<string, Manifest & { folder: string }>();
  for (const entry of readdirSync(join(dir, "packages"), { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const manifest = readManifest(join(dir, "packages", entry.name));
    if (manifest.private !== true) result.set(manifest.name, { ...manifest, folder: entry.name });
  }
  return result;
}

/** Every package version of a copy's `packages/*`, by name. */
export function versions(dir: string): Map<string, string> {
  return new Map([...publishableManifests(dir)].map(([name, m]) => [name, m.version]));
}

/** One package's release in a changeset file. */
export type BumpType = "major" | "minor" | "patch";

/** Writes `.changeset/<id>.md` naming `releases` with `summary`, as `pnpm changeset` would. */
export function writeChangeset(
  dir: string,
  id: string,
  releases: Readonly<Record<string, BumpType>>,
  summary: string,
): void {
  const lines = Object.entries(releases).map(([name, type]) => `"${name}": ${type}`);
  writeFileSync(
    join(dir, ".changeset", `${id}.md`),
    `---\n${lines.join("\n")}\n---\n\n${summary}\n`,
  );
}

/** The version after a `type` bump of a plain `x.y.z` version, as semver (and changesets) do it. */
export function bump(version: string, type: BumpType): string {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (match === null) throw new Error(`not a plain x.y.z version: ${version}`);
  const [major, minor, patch] = match.slice(1).map(Number) as [number, number, number];
  if (type === "major") return `${major + 1}.0.0`;
  if (type === "minor") return `${major}.${minor + 1}.0`;
  return `${major}.${minor}.${patch + 1}`;
}

/**
 * The section of a package CHANGELOG.md for `version`: from its `## <version>` heading to the next
 * `## ` heading; `undefined` when there is none.
 */
export function changelogSection(changelog: string, version: string): string | undefined {
  const lines = changelog.split("\n");
  const start = lines.findIndex((line) => line.trim() === `## ${version}`);
  if (start === -1) return undefined;
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((line) => line.startsWith("## "));
  return (end === -1 ? rest : rest.slice(0, end)).join("\n");
}
