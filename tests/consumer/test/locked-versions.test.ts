/**
 * The lockfile's versions hold a test project to what the workspace was tested with: a package
 * published to the registry later (ioredis 6.1.0, 2026-11-23, whose declarations broke a strict
 * consumer) cannot reach the README's test command.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import {
  dependencyMode,
  lockedOverrides,
  lockedVersion,
  lockedVersions,
  projectDependencies,
  versionDrift,
} from "../src/locked-versions.js";
import { readManifest, workspaceRange } from "../src/workspace.js";

const dir = mkdtempSync(join(tmpdir(), "vmcp-locked-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lockfile = join(dir, "pnpm-lock.yaml");
writeFileSync(
  lockfile,
  [
    "---",
    "lockfileVersion: '9.0'",
    "",
    "importers:",
    "",
    "  .:",
    "    dependencies:",
    "      ioredis:",
    "        specifier: ^6.0.0",
    "        version: 6.0.0(supports-color@7.2.0)",
    "      '@vmcp/session-core':",
    "        specifier: workspace:^",
    "        version: link:../../packages/session-core",
    "",
    "packages:",
    "",
    "  '@ioredis/commands@2.0.0':",
    "    resolution: {integrity: sha512-x}",
    "",
    "  ioredis@6.0.0:",
    "    resolution: {integrity: sha512-y}",
    "",
    "  debug@4.4.3:",
    "    resolution: {integrity: sha512-z}",
    "",
    "  debug@3.2.7:",
    "    resolution: {integrity: sha512-w}",
    "",
    "snapshots:",
    "",
    "  ioredis@6.0.0(supports-color@7.2.0):",
    "    dependencies:",
    "      redis-errors: 1.2.0",
    "",
  ].join("\n"),
);

describe("the lockfile's versions", () => {
  it("reads every name@version of the packages section, scoped names included, and nothing else", () => {
    const locked = lockedVersions(lockfile);
    expect(
      Object.fromEntries([...locked.all].map(([name, set]) => [name, [...set].sort()])),
    ).toEqual({
      "@ioredis/commands": ["2.0.0"],
      ioredis: ["6.0.0"],
      debug: ["3.2.7", "4.4.3"],
    });
  });

  it("reads what the workspace's own ranges resolved to, links left out", () => {
    expect(lockedVersions(lockfile).direct).toEqual(new Map([["ioredis", "6.0.0"]]));
  });

  it("gives one exact version, and refuses a name held in none or in several", () => {
    const locked = lockedVersions(lockfile);
    expect(lockedVersion("ioredis", locked)).toBe("6.0.0");
    expect(() => lockedVersion("redis", locked)).toThrow(/holds no version of redis/);
    expect(() => lockedVersion("debug", locked)).toThrow(
      /in versions 4.4.3, 3.2.7|in versions 3.2.7, 4.4.3/,
    );
  });

  it("overrides every package but the project's own dependencies, one held in several per release line", () => {
    const locked = lockedVersions(lockfile);
    expect(lockedOverrides(["ioredis"], locked)).toEqual({
      "@ioredis/commands": "2.0.0",
      "debug@^3.0.0": "3.2.7",
      "debug@^4.0.0": "4.4.3",
    });
  });

  it("pins the workspace's real third-party dependencies exactly, and uses ranges only under latest", () => {
    const range = () => "^6.0.0";
    const locked = projectDependencies({ "@vmcp/x": "file:x.tgz" }, ["ioredis"], range, "locked");
    expect(locked.dependencies["@vmcp/x"]).toBe("file:x.tgz");
    expect(locked.dependencies.ioredis).toMatch(/^\d+\.\d+\.\d+$/);
    expect(locked.overrides?.ioredis).toBeUndefined();
    expect(locked.overrides?.["redis-errors"]).toMatch(/^\d+\.\d+\.\d+$/);
    const latest = projectDependencies({}, ["ioredis"], range, "latest");
    expect(latest).toEqual({ dependencies: { ioredis: "^6.0.0" } });
  });

  it("takes its mode from VMCP_DEPS and refuses a misspelt one", () => {
    expect(dependencyMode({})).toBe("locked");
    expect(dependencyMode({ VMCP_DEPS: "latest" })).toBe("latest");
    expect(() => dependencyMode({ VMCP_DEPS: "newest" })).toThrow(/"locked" or "latest"/);
  });
});

describe("the consumer project", () => {
  it("was installed with exactly the lockfile's versions, or with ranges under VMCP_DEPS=latest", () => {
    const { projectDir } = inject("consumer");
    const manifest = readManifest(projectDir);
    if (dependencyMode() === "latest") {
      // pnpm test:latest-deps: the ranges, and the drift is what global-setup reported.
      expect(manifest.dependencies?.ioredis).toBe(workspaceRange("ioredis"));
      return;
    }
    expect(manifest.dependencies?.ioredis).toBe(lockedVersion("ioredis"));
    expect(versionDrift(join(projectDir, "node_modules"))).toEqual([]);
  });
});
