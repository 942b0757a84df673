/**
 * Vitest global setup: packs every publishable package once, installs the tarballs into a fresh
 * consumer project outside the workspace, compiles it, and starts a throwaway redis-server. The
 * test files read the result through `inject("consumer")`. Teardown stops Redis and removes the
 * temp folder.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireRedisServer, startRedisServer } from "@vmcp/redis-harness";
import type { TestProject } from "vitest/node";
import { createConsumerProject } from "./consumer-project.js";
import { dependencyMode, versionDrift } from "./locked-versions.js";
import { packPublishablePackages } from "./pack-packages.js";
import { readmeExamples } from "./readme-examples.js";

/** What the global setup hands the test files. */
export interface ConsumerContext {
  /** The temp folder holding the tarballs and the project. */
  readonly root: string;
  /** The consumer project. */
  readonly projectDir: string;
  /** What `tsc` printed for the consumer project (empty when it type-checked). */
  readonly tscOutput: string;
  /** Each packed package: its name, folder under packages/ and tarball. */
  readonly packed: readonly { name: string; folder: string; dir: string; tarball: string }[];
  /** The throwaway Redis: `redis://127.0.0.1:<port>`, and its port. */
  readonly redisUrl: string;
  readonly redisPort: number;
}

declare module "vitest" {
  export interface ProvidedContext {
    consumer: ConsumerContext;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  requireRedisServer();
  const root = mkdtempSync(join(tmpdir(), "vmcp-consumer-"));
  const redis = await startRedisServer();
  try {
    const tarballs = join(root, "tarballs");
    mkdirSync(tarballs);
    let started = performance.now();
    const packed = await packPublishablePackages(tarballs);
    const packMs = Math.round(performance.now() - started);
    started = performance.now();
    const consumer = await createConsumerProject(join(root, "project"), packed, readmeExamples());
    const installMs = Math.round(performance.now() - started);
    if (dependencyMode() === "latest") reportDrift(join(consumer.dir, "node_modules"));
    console.log(
      `consumer-tests: packed ${packed.length} packages in ${packMs} ms; npm install and tsc in ${installMs} ms (${root})`,
    );
    project.provide("consumer", {
      root,
      projectDir: consumer.dir,
      tscOutput: consumer.tscOutput,
      packed: packed.map((pkg) => ({
        name: pkg.manifest.name,
        folder: pkg.folder,
        dir: pkg.dir,
        tarball: pkg.tarball,
      })),
      redisUrl: redis.url,
      redisPort: redis.port,
    });
  } catch (error) {
    await redis.close();
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  return async () => {
    await redis.close();
    rmSync(root, { recursive: true, force: true });
  };
}

/** Prints, under `VMCP_DEPS=latest`, each installed package the lockfile does not hold. */
function reportDrift(nodeModules: string): void {
  const drift = versionDrift(nodeModules);
  console.log(
    `consumer-tests: VMCP_DEPS=latest installed ${drift.length} packages beyond the lockfile`,
  );
  for (const { name, locked, installed } of drift) {
    console.log(
      `  ${name}: ${locked.length === 0 ? "(not locked)" : locked.join(", ")} -> ${installed}`,
    );
  }
}
