import { existsSync } from "node:fs";
import { join } from "node:path";
import { runCommand } from "./run-command.js";
import { publishablePackages, tarballName, type WorkspacePackage } from "./workspace.js";

/** One packed publishable package. */
export interface PackedPackage extends WorkspacePackage {
  /** The tarball, absolute path. */
  readonly tarball: string;
}

/** The bound on packing one package, ms. */
export const PackTimeoutMs = 60_000;

/**
 * Packs every publishable package with `pnpm pack` (which rewrites `workspace:^` ranges to real
 * ones, as `pnpm publish` does) into `destination`. The packages must be built (`pnpm build`).
 * @throws {Error} when a package has no dist/index.js or its tarball is missing after packing.
 */
export async function packPublishablePackages(destination: string): Promise<PackedPackage[]> {
  const packages = publishablePackages();
  return Promise.all(
    packages.map(async (pkg) => {
      if (!existsSync(join(pkg.dir, "dist", "index.js"))) {
        throw new Error(`${pkg.manifest.name} is not built: run \`pnpm build\` first`);
      }
      await runCommand("pnpm", ["pack", "--pack-destination", destination], {
        cwd: pkg.dir,
        timeoutMs: PackTimeoutMs,
      });
      const tarball = join(destination, tarballName(pkg.manifest));
      if (!existsSync(tarball)) throw new Error(`pnpm pack did not write ${tarball}`);
      return { ...pkg, tarball };
    }),
  );
}
