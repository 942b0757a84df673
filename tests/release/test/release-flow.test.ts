/**
 * The release pipeline, end to end, without GitHub: in a copy of the repository, the real
 * `pnpm run version-packages` (what changesets/action runs for the "Version Packages" pull
 * request), then the real `pnpm run release` and `pnpm run release:snapshot` (what the release and
 * snapshot workflows run) against a throwaway verdaccio with no uplink, and a clean npm project
 * that installs the published packages from it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CommandFailedError, runCommand } from "@vmcp/consumer-tests";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalRegistry, startLocalRegistry } from "../src/local-registry.js";
import { installFromRegistry } from "../src/registry-project.js";
import {
  bump,
  CopyCommandTimeoutMs,
  changelogSection,
  commitAll,
  copyRepository,
  git,
  publishableManifests,
  QuietEnv,
  versions,
  writeChangeset,
} from "../src/repository-copy.js";

const scratch = mkdtempSync(join(tmpdir(), "vmcp-release-"));
const repo = join(scratch, "repo");
let registry: LocalRegistry;
/** The environment of every publishing command: the local registry, and its token only. */
let publishEnv: Record<string, string>;

beforeAll(async () => {
  const started = performance.now();
  [registry] = await Promise.all([startLocalRegistry(), copyRepository(repo)]);
  // Both spellings: npm and pnpm prefer an inherited lower-case `npm_config_userconfig` (npx and
  // npm scripts set one) over the upper-case one.
  publishEnv = {
    NPM_CONFIG_USERCONFIG: registry.userConfig,
    npm_config_userconfig: registry.userConfig,
    npm_config_registry: registry.url,
    pnpm_config_registry: registry.url,
  };
  console.log(
    `release-tests: registry on ${registry.url}, repository copied and installed in ${Math.round(performance.now() - started)} ms (${scratch})`,
  );
});

afterAll(async () => {
  await registry?.close();
  if (process.env.VMCP_KEEP_SCRATCH === undefined)
    rmSync(scratch, { recursive: true, force: true });
});

function run(args: readonly string[], env: Readonly<Record<string, string>> = {}) {
  return runCommand("pnpm", args, {
    cwd: repo,
    timeoutMs: CopyCommandTimeoutMs,
    env: { ...QuietEnv, ...env },
  });
}

/**
 * Fails unless npm and pnpm, run in the copy with `publishEnv`, resolve the local registry as
 * their registry: every publishing test calls it first, so that a publish can never go elsewhere.
 */
async function expectLocalRegistryOnly(): Promise<void> {
  for (const tool of ["pnpm", "npm"]) {
    const { stdout } = await runCommand(tool, ["config", "get", "registry"], {
      cwd: repo,
      timeoutMs: 30_000,
      env: { ...QuietEnv, ...publishEnv },
    });
    expect(stdout.trim(), `${tool}'s registry in the copy`).toBe(registry.url);
  }
  for (const pkg of publishableManifests(repo).values()) {
    // changesets would take a publishConfig.registry over the environment.
    expect(pkg.publishConfig, pkg.name).toEqual({ access: "public" });
  }
}

function changelog(name: string): string {
  const pkg = publishableManifests(repo).get(name);
  if (pkg === undefined) throw new Error(`${name} is not a publishable package`);
  return readFileSync(join(repo, "packages", pkg.folder, "CHANGELOG.md"), "utf8");
}

/** Whether `version` satisfies `^base` (plain x.y.z): on 0.x a caret pins the minor. */
function caretSatisfies(version: string, base: string): boolean {
  const [vMajor, vMinor, vPatch] = version.split(".").map(Number);
  const [bMajor, bMinor, bPatch] = base.split(".").map(Number);
  if (vMajor !== bMajor) return false;
  if (bMajor !== 0) return true;
  if (vMinor !== bMinor) return false;
  return bMinor !== 0 || vPatch === bPatch;
}

/** The body of a changeset file: what follows its front matter. */
function changesetSummary(file: string): string {
  return (
    readFileSync(file, "utf8")
      .split(/^---\s*$/m)[2]
      ?.trim() ?? ""
  );
}

interface StatusFile {
  readonly changesets: ReadonlyArray<{
    readonly id: string;
    readonly releases: ReadonlyArray<{ readonly name: string }>;
  }>;
  readonly releases: ReadonlyArray<{ readonly name: string; readonly newVersion: string }>;
}

/** The packages that peer-depend on `name` (the stores and the conformance suite for core). */
function peerDependents(name: string): string[] {
  return [...publishableManifests(repo).values()]
    .filter((m) => m.peerDependencies?.[name] !== undefined)
    .map((m) => m.name);
}

describe.sequential("the release flow in a copy of the repository", () => {
  it("versions the pending changesets as the Version Packages pull request would", async () => {
    const statusFile = join(scratch, "status.json");
    await run(["exec", "changeset", "status", "--output", statusFile]);
    const status = JSON.parse(readFileSync(statusFile, "utf8")) as StatusFile;
    const pending = readdirSync(join(repo, ".changeset")).filter(
      (file) => file.endsWith(".md") && file !== "README.md",
    );
    const summaries = new Map(
      pending.map((file) => [
        file.replace(/\.md$/, ""),
        changesetSummary(join(repo, ".changeset", file)),
      ]),
    );
    const before = versions(repo);

    await run(["run", "version-packages"]);

    const after = versions(repo);
    const planned = new Map(status.releases.map((r) => [r.name, r.newVersion]));
    for (const [name, version] of before) {
      expect(after.get(name), name).toBe(planned.get(name) ?? version);
    }
    // The published packages move together, and the pending minors stay on 0.x: no major nobody
    // chose (the stores used to become 1.0.0 through their peer range on session-core).
    const config = JSON.parse(readFileSync(join(repo, ".changeset", "config.json"), "utf8")) as {
      fixed: string[][];
    };
    expect(config.fixed.map((group) => [...group].sort())).toEqual([[...before.keys()].sort()]);
    expect(new Set(after.values()).size, [...after].join(", ")).toBe(1);
    for (const [name, version] of after) expect(version.startsWith("0."), name).toBe(true);
    // Every changeset is consumed, and its summary is in the changelog of every package it names.
    expect(readdirSync(join(repo, ".changeset")).filter((f) => f.endsWith(".md"))).toEqual([
      "README.md",
    ]);
    for (const changeset of status.changesets) {
      const firstLine = summaries.get(changeset.id)?.split("\n")[0] ?? "";
      expect(firstLine, changeset.id).not.toBe("");
      for (const { name } of changeset.releases) {
        const section = changelogSection(changelog(name), after.get(name) ?? "");
        expect(section, `${name} CHANGELOG.md has no section for ${after.get(name)}`).toBeDefined();
        expect(section).toContain(firstLine);
      }
    }
    // The lockfile is still in step with the manifests: a frozen install accepts it.
    await run(["install", "--frozen-lockfile", "--lockfile-only", "--offline"]);
    await commitAll(repo, "Version Packages");
  });

  it("releases a session-keys minor as a minor of every published package, together", async () => {
    const before = versions(repo);
    const keys = before.get("@vmcp/session-keys") ?? "";
    writeChangeset(
      repo,
      "release-test-keys",
      { "@vmcp/session-keys": "minor" },
      "Release test: keys minor.",
    );
    await commitAll(repo, "A session-keys change");

    await run(["run", "version-packages"]);

    const after = versions(repo);
    const newKeys = bump(keys, "minor");
    // The published packages are one fixed group: all of them move to the same version.
    expect(new Set(before.values()).size, "the group starts in step").toBe(1);
    for (const name of before.keys()) expect(after.get(name), name).toBe(newKeys);
    const keysSection = changelogSection(changelog("@vmcp/session-keys"), newKeys) ?? "";
    expect(keysSection).toContain("### Minor Changes");
    expect(keysSection).toContain("Release test: keys minor.");
    const coreSection = changelogSection(changelog("@vmcp/session-core"), newKeys) ?? "";
    expect(coreSection).toContain(`@vmcp/session-keys@${newKeys}`);
    // Internal ranges stay `workspace:^` in the repository; publishing rewrites them (below). The
    // peers on session-core get the floor of the version just released (scripts/peer-floors.mjs).
    const manifests = publishableManifests(repo);
    expect(manifests.get("@vmcp/session-core")?.dependencies?.["@vmcp/session-keys"]).toBe(
      "workspace:^",
    );
    for (const name of peerDependents("@vmcp/session-core")) {
      expect(manifests.get(name)?.peerDependencies?.["@vmcp/session-core"], name).toBe(
        `workspace:>=${newKeys} <1.0.0`,
      );
    }
    await run(["install", "--frozen-lockfile", "--lockfile-only", "--offline"]);
    await commitAll(repo, "Version Packages");
  });

  it("releases a session-core minor on 0.x as a minor of the stores too, never a major nobody chose", async () => {
    const before = versions(repo);
    const core = before.get("@vmcp/session-core") ?? "";
    const newCore = bump(core, "minor");
    // On 0.x `^0.y.z` does not admit `0.(y+1).0`: the case that made the stores 1.0.0.
    expect(caretSatisfies(newCore, core), "session-core is past 0.x: revisit this test").toBe(
      false,
    );
    const stores = peerDependents("@vmcp/session-core");
    expect(stores.sort()).toEqual([
      "@vmcp/storage-test-suite",
      "@vmcp/store-memory",
      "@vmcp/store-redis",
    ]);
    writeChangeset(
      repo,
      "release-test-core",
      { "@vmcp/session-core": "minor" },
      "Release test: core minor.",
    );
    await commitAll(repo, "A session-core change");

    await run(["run", "version-packages"]);

    const after = versions(repo);
    for (const name of before.keys()) expect(after.get(name), name).toBe(newCore);
    for (const name of stores) {
      expect(after.get(name)?.startsWith("0."), `${name} left 0.x`).toBe(true);
      // (changesets writes a fixed group member's changelog only when it has an entry: a change
      // of its own or an internal dependency range it updated.)
      const peer = publishableManifests(repo).get(name)?.peerDependencies?.["@vmcp/session-core"];
      expect(peer, name).toBe(`workspace:>=${newCore} <1.0.0`);
    }
    expect(changelogSection(changelog("@vmcp/session-core"), newCore)).toContain(
      "Release test: core minor.",
    );
    await run(["install", "--frozen-lockfile", "--lockfile-only", "--offline"]);
    await commitAll(repo, "Version Packages");
  });

  it("points npm and pnpm at the local registry, and only there", async () => {
    await expectLocalRegistryOnly();
  });

  it("refuses to publish unsigned when NPM_CONFIG_PROVENANCE=true (the workflows' pnpm adds --provenance)", async () => {
    await expectLocalRegistryOnly();
    // Never sign for real: run as outside any CI, without the OIDC token variables a release job
    // (id-token: write) would pass down to its test step.
    const ciVariables = [
      "GITHUB_ACTIONS",
      "GITLAB_CI",
      "ACTIONS_ID_TOKEN_REQUEST_URL",
      "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
      "SIGSTORE_ID_TOKEN",
    ];
    const saved = new Map(ciVariables.map((name) => [name, process.env[name]]));
    for (const name of ciVariables) delete process.env[name];
    const error = await run(["run", "release"], {
      ...publishEnv,
      NPM_CONFIG_PROVENANCE: "true",
      PATH: `${join(repo, ".github", "bin")}:${process.env.PATH ?? ""}`,
    })
      .then(
        () => undefined,
        (reason: unknown) => reason,
      )
      .finally(() => {
        for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
      });
    expect(error).toBeInstanceOf(CommandFailedError);
    // Outside a CI provider pnpm has no OIDC token to sign with: it asked for provenance, and
    // published nothing rather than publish unsigned.
    expect((error as CommandFailedError).message).toContain(
      "ERR_PNPM_PROVENANCE_UNSUPPORTED_PROVIDER",
    );
    for (const name of publishableManifests(repo).keys()) {
      expect(await registry.packument(name), name).toBeUndefined();
    }
  });

  it("publishes every public package with `pnpm run release`, ranges rewritten, tags made", async () => {
    await expectLocalRegistryOnly();
    const { stdout, stderr } = await run(["run", "release"], publishEnv);
    const packages = publishableManifests(repo);
    const current = versions(repo);
    const tags = (await git(repo, "tag", "--list")).split("\n");
    for (const [name, pkg] of packages) {
      const packument = await registry.packument(name);
      expect(packument, `${name} was not published`).toBeDefined();
      expect(packument?.["dist-tags"].latest).toBe(pkg.version);
      const published = packument?.versions[pkg.version];
      expect(JSON.stringify(published)).not.toContain("workspace:");
      for (const [dep, range] of Object.entries(published?.dependencies ?? {})) {
        if (dep.startsWith("@vmcp/"))
          expect(range, `${name} -> ${dep}`).toBe(`^${current.get(dep)}`);
      }
      for (const [dep, range] of Object.entries(published?.peerDependencies ?? {})) {
        if (dep.startsWith("@vmcp/"))
          expect(range, `${name} peers on ${dep}`).toBe(`>=${current.get(dep)} <1.0.0`);
      }
      // changesets/action reads these lines to make the GitHub releases.
      expect(`${stdout}${stderr}`).toMatch(new RegExp(`New tag:\\s+${name}@${pkg.version}`));
      expect(tags).toContain(`${name}@${pkg.version}`);
    }
    expect(await registry.packument("@vmcp/gateway")).toBeUndefined();
  });

  it("lets a clean npm project install the published packages from the registry and use them", async () => {
    const project = join(scratch, "consumer");
    const published = versions(repo);
    await installFromRegistry(project, registry.url, published);
    // What npm installed is what was published here: same version, same tarball integrity.
    const lock = JSON.parse(readFileSync(join(project, "package-lock.json"), "utf8")) as {
      packages: Record<string, { version?: string; integrity?: string }>;
    };
    for (const [name, version] of published) {
      const entry = lock.packages[`node_modules/${name}`];
      expect(entry?.version, name).toBe(version);
      const dist = (await registry.packument(name))?.versions[version]?.dist;
      expect(dist?.integrity, name).toBeDefined();
      expect(entry?.integrity, name).toBe(dist?.integrity);
    }
    writeFileSync(
      join(project, "smoke.mjs"),
      [
        'import { backendSessionKey } from "@vmcp/session-keys";',
        'import { SessionManager } from "@vmcp/session-core";',
        'import { MemoryStorage } from "@vmcp/store-memory";',
        'import { RedisStorage } from "@vmcp/store-redis";',
        'import { describeSessionStorageConformance } from "@vmcp/storage-test-suite";',
        "const storage = new MemoryStorage();",
        'const metadata = { [backendSessionKey("github")]: "gh-1" };',
        'await storage.create({ id: "s1", metadata, expiresAt: Date.now() + 60_000 });',
        'const record = await storage.load("s1");',
        "await storage.close();",
        "console.log(JSON.stringify({",
        "  metadata: record?.metadata,",
        "  exports: [SessionManager, RedisStorage, describeSessionStorageConformance].map((x) => typeof x),",
        "}));",
        "",
      ].join("\n"),
    );
    const { stdout } = await runCommand(process.execPath, ["smoke.mjs"], {
      cwd: project,
      timeoutMs: 30_000,
    });
    expect(JSON.parse(stdout)).toEqual({
      metadata: { "vmcp.backend.session.github": "gh-1" },
      exports: ["function", "function", "function"],
    });
  });

  it("publishes a snapshot under the `snapshot` tag with `pnpm run release:snapshot`", async () => {
    const before = versions(repo);
    const tagsBefore = await git(repo, "tag", "--list");
    const name = "@vmcp/store-memory";
    writeChangeset(repo, "release-test-snapshot", { [name]: "patch" }, "Release test: a snapshot.");
    await expectLocalRegistryOnly();

    await run(["run", "release:snapshot"], publishEnv);

    const snapshot = versions(repo).get(name) ?? "";
    const expected = bump(before.get(name) ?? "", "patch");
    expect(snapshot).toMatch(new RegExp(`^${expected.replaceAll(".", "\\.")}-snapshot-\\d{14}$`));
    // The fixed group moves together in a snapshot too: every published package gets the same
    // snapshot version under the `snapshot` tag, `latest` stays, and no git tag is made.
    for (const pkg of before.keys()) {
      expect(versions(repo).get(pkg), pkg).toBe(snapshot);
      const packument = await registry.packument(pkg);
      expect(packument?.["dist-tags"].snapshot, pkg).toBe(snapshot);
      expect(packument?.["dist-tags"].latest, pkg).toBe(before.get(pkg));
    }
    expect(await git(repo, "tag", "--list")).toBe(tagsBefore);
  });
});
