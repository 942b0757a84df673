import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The monorepo's root directory. */
export const workspaceRoot = resolve(fileURLToPath(new URL("../../..", import.meta.url)));

/** The folder whose packages are published: every non-private `packages/*`. */
export const publishableRoot = join(workspaceRoot, "packages");

/** The parts of a package.json these tests read. */
export interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly private?: boolean;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
  readonly [field: string]: unknown;
}

/** One publishable workspace package. */
export interface WorkspacePackage {
  /** Its folder, absolute. */
  readonly dir: string;
  /** Its folder name under packages/, e.g. `store-redis`. */
  readonly folder: string;
  readonly manifest: Manifest;
}

/** Reads a package.json, fresh from disk. */
export function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest;
}

/** Every publishable package (`packages/*` without `"private": true`), sorted by folder. */
export function publishablePackages(): WorkspacePackage[] {
  return readdirSync(publishableRoot, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => {
      const dir = join(publishableRoot, entry.name);
      return { dir, folder: entry.name, manifest: readManifest(dir) };
    })
    .filter((pkg) => pkg.manifest.private !== true)
    .sort((a, b) => a.folder.localeCompare(b.folder));
}

/** The file name `pnpm pack` gives a package's tarball, e.g. `vmcp-store-redis-0.1.0.tgz`. */
export function tarballName(manifest: Manifest): string {
  return `${manifest.name.replace(/^@/, "").replace("/", "-")}-${manifest.version}.tgz`;
}

/**
 * The version range the workspace declares for a third-party package (the first one found in
 * the root, packages/*, apps/* or tests/* manifests), so the consumer project installs the same.
 * @throws {Error} when no workspace manifest declares it.
 */
export function workspaceRange(name: string): string {
  const dirs = [workspaceRoot];
  for (const group of ["packages", "apps", "tests"]) {
    for (const entry of readdirSync(join(workspaceRoot, group), { withFileTypes: true })) {
      if (entry.isDirectory()) dirs.push(join(workspaceRoot, group, entry.name));
    }
  }
  for (const dir of dirs) {
    let manifest: Manifest;
    try {
      manifest = readManifest(dir);
    } catch {
      continue;
    }
    for (const deps of [
      manifest.dependencies,
      manifest.peerDependencies,
      manifest.devDependencies,
    ]) {
      const range = deps?.[name];
      if (range !== undefined && !range.startsWith("workspace:")) return range;
    }
  }
  throw new Error(`no workspace package.json declares ${name}; add it where it is used`);
}
