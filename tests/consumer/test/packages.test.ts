/**
 * Every publishable package, as packed: complete metadata, the right files, no workspace ranges,
 * every import declared, publint and attw clean, and an offline publish dry run that succeeds.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runCommand } from "../src/run-command.js";
import { type Manifest, workspaceRoot } from "../src/workspace.js";

const { packed } = inject("consumer");
const bin = (name: string) => join(workspaceRoot, "node_modules", ".bin", name);
const rootLicense = readFileSync(join(workspaceRoot, "LICENSE"), "utf8");

/** Peer dependencies a user brings, per package folder (and nothing else is a peer). */
/** Entry points beyond the main one, by package folder. */
const extraExports: Record<string, Record<string, unknown>> = {
  "session-core": {
    "./storage": { types: "./dist/storage/index.d.ts", default: "./dist/storage/index.js" },
    "./defaults": { types: "./dist/defaults.d.ts", default: "./dist/defaults.js" },
    "./testing": { types: "./dist/testing.d.ts", default: "./dist/testing.js" },
  },
};

const expectedPeers: Record<string, readonly string[]> = {
  "session-keys": [],
  "session-core": ["@modelcontextprotocol/sdk", "@opentelemetry/api"],
  "store-memory": ["@vmcp/session-core"],
  "store-redis": ["@vmcp/session-core", "@vmcp/session-keys", "ioredis", "redis"],
  "storage-test-suite": ["@vmcp/session-core"],
};

/** The package names a compiled file imports (runtime and type imports alike). */
function importedNames(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const names = new Set<string>();
  const patterns = [
    /\bfrom\s+["']([^"'.][^"']*)["']/g,
    /\bimport\s*\(\s*["']([^"'.][^"']*)["']\s*\)/g,
    /\bimport\s+["']([^"'.][^"']*)["']/g,
  ];
  for (const pattern of patterns) {
    for (const match of code.matchAll(pattern)) {
      const specifier = match[1] ?? "";
      if (specifier.startsWith("node:")) continue;
      const parts = specifier.split("/");
      if (builtinModules.includes(parts[0] ?? "")) continue;
      names.add(specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? ""));
    }
  }
  return [...names];
}

it("finds the publishable packages", () => {
  expect(packed.map((pkg) => pkg.folder).sort()).toEqual(Object.keys(expectedPeers).sort());
});

it("lists every publishable package's changelog in the root CHANGELOG.md", () => {
  const index = readFileSync(join(workspaceRoot, "CHANGELOG.md"), "utf8");
  for (const pkg of packed) {
    expect(index).toContain(
      `[packages/${pkg.folder}/CHANGELOG.md](packages/${pkg.folder}/CHANGELOG.md)`,
    );
  }
});

describe.each(packed)("$name", (pkg) => {
  let unpacked: string;
  let manifest: Manifest;
  let files: string[];

  beforeAll(async () => {
    unpacked = mkdtempSync(join(tmpdir(), "vmcp-unpacked-"));
    await runCommand("tar", ["xzf", pkg.tarball, "-C", unpacked], {
      cwd: unpacked,
      timeoutMs: 30_000,
    });
    manifest = JSON.parse(readFileSync(join(unpacked, "package", "package.json"), "utf8"));
    const { stdout } = await runCommand("tar", ["tzf", pkg.tarball], {
      cwd: unpacked,
      timeoutMs: 30_000,
    });
    files = stdout
      .split("\n")
      .filter((line) => line.startsWith("package/") && !line.endsWith("/"))
      .map((line) => line.slice("package/".length));
  });
  afterAll(() => rmSync(unpacked, { recursive: true, force: true }));

  it("has complete publishing metadata", () => {
    expect(manifest.type).toBe("module");
    expect(manifest.license).toBe("Apache-2.0");
    expect(manifest.sideEffects).toBe(false);
    expect(manifest.exports).toEqual({
      ".": { types: "./dist/index.d.ts", default: "./dist/index.js" },
      ...(extraExports[pkg.folder] ?? {}),
      "./package.json": "./package.json",
    });
    expect(manifest.engines).toEqual({ node: ">=20.19" });
    expect(manifest.repository).toEqual({
      type: "git",
      url: "git+https://github.com/vmcp-sessions/vmcp-sessions.git",
      directory: `packages/${pkg.folder}`,
    });
    expect(manifest.publishConfig).toEqual({ access: "public" });
    expect(manifest.keywords).toEqual(expect.arrayContaining(["mcp", "vmcp"]));
    expect(typeof manifest.description).toBe("string");
    expect(typeof manifest.homepage).toBe("string");
    expect(manifest.bugs).toEqual({ url: "https://github.com/vmcp-sessions/vmcp-sessions/issues" });
  });

  it("ships dist, sources for its maps, README, CHANGELOG and the LICENSE, and nothing else", () => {
    expect(files).toEqual(
      expect.arrayContaining([
        "package.json",
        "README.md",
        "CHANGELOG.md",
        "LICENSE",
        "dist/index.js",
        "dist/index.d.ts",
        "src/index.ts",
      ]),
    );
    const stray = files.filter(
      (file) =>
        !/^(package\.json|README\.md|CHANGELOG\.md|LICENSE)$/.test(file) &&
        !/^dist\/.+\.(js|d\.ts|js\.map|d\.ts\.map)$/.test(file) &&
        !/^src\/.+\.ts$/.test(file),
    );
    expect(stray).toEqual([]);
    expect(readFileSync(join(unpacked, "package", "LICENSE"), "utf8")).toBe(rootLicense);
  });

  it("has real version ranges (no workspace: protocol) and the expected peers", () => {
    expect(JSON.stringify(manifest)).not.toContain("workspace:");
    expect(Object.keys(manifest.peerDependencies ?? {}).sort()).toEqual(
      [...(expectedPeers[pkg.folder] ?? [])].sort(),
    );
    for (const peer of Object.keys(manifest.peerDependencies ?? {})) {
      expect(manifest.dependencies?.[peer], `${peer} is a peer, not a dependency`).toBeUndefined();
    }
  });

  it("declares every package its compiled code and types import", () => {
    const declared = new Set([
      manifest.name,
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
    ]);
    const undeclared: string[] = [];
    for (const file of files.filter((name) => /^dist\/.+\.(js|d\.ts)$/.test(name))) {
      const code = readFileSync(join(unpacked, "package", file), "utf8");
      for (const name of importedNames(code)) {
        if (!declared.has(name)) undeclared.push(`${file} imports ${name}`);
      }
    }
    expect(undeclared).toEqual([]);
  });

  it("passes publint (strict)", async () => {
    const { stdout } = await runCommand(bin("publint"), [pkg.tarball, "--strict"], {
      cwd: workspaceRoot,
      timeoutMs: 60_000,
    });
    expect(stdout).toContain("All good!");
  });

  it("passes attw (ESM-only profile: CommonJS consumers use import())", async () => {
    // attw exits non-zero on any problem its profile counts; runCommand rejects on that.
    const { stdout } = await runCommand(
      bin("attw"),
      [
        pkg.tarball,
        "--profile",
        "esm-only",
        "--no-definitely-typed",
        "--format",
        "table",
        "--no-color",
      ],
      { cwd: workspaceRoot, timeoutMs: 60_000 },
    );
    expect(stdout).toContain(pkg.name);
  });

  it("publishes in a dry run (offline: the registry is a closed loopback port)", async () => {
    const { stdout } = await runCommand(
      "pnpm",
      ["publish", "--dry-run", "--no-git-checks", "--json", "--registry", "http://127.0.0.1:9/"],
      { cwd: pkg.dir, timeoutMs: 60_000 },
    );
    const summary = JSON.parse(stdout) as {
      name: string;
      version: string;
      files: { path: string }[];
    };
    expect(summary.name).toBe(manifest.name);
    expect(summary.version).toBe(manifest.version);
    expect(summary.files.map((file) => file.path).sort()).toEqual([...files].sort());
  });
});
