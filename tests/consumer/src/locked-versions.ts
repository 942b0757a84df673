/**
 * The versions the workspace's lockfile holds, so that a project these tests install with plain
 * npm gets exactly what the workspace was tested with, and a package published to the registry
 * tomorrow cannot turn the README's test command red. `pnpm test:latest-deps` sets
 * `VMCP_DEPS=latest` to install the newest versions in range instead, and reports what breaks.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { workspaceRoot } from "./workspace.js";

/** Which versions a test project installs: the lockfile's (the default) or the newest in range. */
export type DependencyMode = "locked" | "latest";

/**
 * The mode chosen by `VMCP_DEPS`: `latest` installs the newest versions in the workspace's ranges;
 * unset, or `locked`, installs the lockfile's.
 * @throws {Error} for any other value.
 */
export function dependencyMode(env: NodeJS.ProcessEnv = process.env): DependencyMode {
  const value = env.VMCP_DEPS ?? "locked";
  if (value === "locked" || value === "latest") return value;
  throw new Error(`VMCP_DEPS must be "locked" or "latest", got ${JSON.stringify(value)}`);
}

/** What the lockfile holds: every `name@version`, and what the workspace's own manifests resolve to. */
export interface LockedVersions {
  /** Name → every version the lockfile holds (several when the graph needs more than one). */
  readonly all: ReadonlyMap<string, ReadonlySet<string>>;
  /** Name → the version a workspace manifest's own range resolved to (the first one found). */
  readonly direct: ReadonlyMap<string, string>;
}

/** Reads `pnpm-lock.yaml` (lockfile v9: `importers`, `packages`). */
export function lockedVersions(lockfile = join(workspaceRoot, "pnpm-lock.yaml")): LockedVersions {
  const all = new Map<string, Set<string>>();
  const direct = new Map<string, string>();
  let section = "";
  let importerDependency: string | undefined;
  for (const line of readFileSync(lockfile, "utf8").split("\n")) {
    if (/^\S/.test(line)) {
      section = line;
      continue;
    }
    if (section === "packages:") {
      // A package key at two spaces: `  ioredis@6.0.0:` or `  '@ioredis/commands@2.0.0':`.
      const match = /^ {2}'?(@?[^@\s']+)@([^(:'\s]+)/.exec(line);
      if (match === null) continue;
      const [, name, version] = match as unknown as [string, string, string];
      all.set(name, (all.get(name) ?? new Set<string>()).add(version));
    } else if (section === "importers:") {
      // `      ioredis:` then `        specifier: ^6.0.0` and `        version: 6.0.0(...)`.
      const dependency = /^ {6}'?([^'\s:]+)'?:\s*$/.exec(line);
      if (dependency !== null) importerDependency = dependency[1];
      const version = /^ {8}version: ([^(\s]+)/.exec(line);
      if (version === null || importerDependency === undefined) continue;
      const [, resolved] = version as unknown as [string, string];
      if (!resolved.startsWith("link:") && !direct.has(importerDependency)) {
        direct.set(importerDependency, resolved);
      }
    }
  }
  if (all.size === 0) throw new Error(`no packages found in ${lockfile}`);
  return { all, direct };
}

/**
 * The exact version the workspace resolves `name` to: what a workspace manifest's range resolved
 * to, else the lockfile's only version of it.
 * @throws {Error} when the lockfile holds none, or several and no manifest names it.
 */
export function lockedVersion(name: string, locked = lockedVersions()): string {
  const resolved = locked.direct.get(name);
  if (resolved !== undefined) return resolved;
  const set = locked.all.get(name);
  if (set === undefined) throw new Error(`pnpm-lock.yaml holds no version of ${name}`);
  if (set.size !== 1) {
    throw new Error(`pnpm-lock.yaml holds ${name} in versions ${[...set].join(", ")}: pick one`);
  }
  return [...set][0] as string;
}

/**
 * npm `overrides` that pin every package the lockfile holds to the version pnpm resolved, so npm
 * resolves transitive dependencies as pnpm did. A package held in one version is pinned by name; one
 * held in several (lru-cache 7 and 11) is pinned per release line (`lru-cache@^11.0.0`, and
 * `@^0.y.0` on 0.x), where each line holds one version. Names in `direct` (the project's own
 * dependencies, which npm refuses to override with another spec) and the workspace's own `@vmcp/*`
 * packages are left out.
 */
export function lockedOverrides(
  direct: Iterable<string>,
  locked = lockedVersions(),
): Record<string, string> {
  const skip = new Set(direct);
  const overrides: Record<string, string> = {};
  for (const [name, set] of [...locked.all].sort(([a], [b]) => a.localeCompare(b))) {
    if (skip.has(name) || name.startsWith("@vmcp/")) continue;
    if (set.size === 1) {
      overrides[name] = [...set][0] as string;
      continue;
    }
    const lines = new Map<string, string[]>();
    for (const version of set) {
      const [major, minor] = version.split(".");
      const line = major === "0" ? `^0.${minor}.0` : `^${major}.0.0`;
      lines.set(line, [...(lines.get(line) ?? []), version]);
    }
    for (const [line, versions] of [...lines].sort(([a], [b]) => a.localeCompare(b))) {
      if (versions.length === 1) overrides[`${name}@${line}`] = versions[0] as string;
    }
  }
  return overrides;
}

/** What a test project declares: its dependencies, and the overrides that hold them to the lockfile. */
export interface ProjectDependencies {
  readonly dependencies: Record<string, string>;
  readonly overrides?: Record<string, string>;
}

/**
 * The dependencies of a test project: `exact` (tarballs or versions, kept as given) and the
 * `thirdParty` names, which get the lockfile's exact version and overrides (mode `locked`) or the
 * workspace's range (mode `latest`).
 */
export function projectDependencies(
  exact: Readonly<Record<string, string>>,
  thirdParty: Iterable<string>,
  rangeOf: (name: string) => string,
  mode: DependencyMode = dependencyMode(),
): ProjectDependencies {
  const dependencies: Record<string, string> = { ...exact };
  const names = [...new Set(thirdParty)].sort();
  if (mode === "latest") {
    for (const name of names) dependencies[name] = rangeOf(name);
    return { dependencies };
  }
  const locked = lockedVersions();
  for (const name of names) dependencies[name] = lockedVersion(name, locked);
  return { dependencies, overrides: lockedOverrides(Object.keys(dependencies), locked) };
}

/** A package installed at a version the lockfile does not hold. */
export interface VersionDrift {
  readonly name: string;
  /** The lockfile's versions of it (empty when the lockfile holds none). */
  readonly locked: readonly string[];
  readonly installed: string;
}

/**
 * The packages in `nodeModules` (top level and scoped, not nested) whose installed version the
 * lockfile does not hold: what `VMCP_DEPS=latest` brought in beyond what the workspace was tested
 * with. The workspace's own `@vmcp/*` packages are left out.
 */
export function versionDrift(nodeModules: string, locked = lockedVersions()): VersionDrift[] {
  const drift: VersionDrift[] = [];
  const names: string[] = [];
  for (const entry of readdirSync(nodeModules)) {
    if (entry.startsWith(".")) continue;
    if (!entry.startsWith("@")) names.push(entry);
    else for (const inner of readdirSync(join(nodeModules, entry))) names.push(`${entry}/${inner}`);
  }
  for (const name of names.sort()) {
    if (name.startsWith("@vmcp/")) continue;
    let installed: string;
    try {
      installed = (
        JSON.parse(readFileSync(join(nodeModules, name, "package.json"), "utf8")) as {
          version: string;
        }
      ).version;
    } catch {
      continue;
    }
    const versions = locked.all.get(name) ?? new Set<string>();
    if (!versions.has(installed)) drift.push({ name, locked: [...versions], installed });
  }
  return drift;
}
