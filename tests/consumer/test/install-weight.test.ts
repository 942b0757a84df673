/**
 * What a user of the storage contract and the memory store installs: `npm i @vmcp/session-core
 * @vmcp/store-memory` (here from the packed tarballs, with the session-keys tarball standing in
 * for the registry copy) brings those, `@vmcp/session-keys` and `lru-cache`, nothing else: the MCP
 * SDK and `@opentelemetry/api` are optional peers of session-core, so no HTTP framework, no
 * validator, no zod, no tracing API. Sessions work there (tracing is a no-op stand-in), the
 * declarations name no OpenTelemetry type, and the connector, used without the SDK, says which
 * package to install.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CompileTimeoutMs, NpmInstallTimeoutMs } from "../src/consumer-project.js";
import { projectDependencies } from "../src/locked-versions.js";
import { CommandFailedError, runCommand } from "../src/run-command.js";
import { workspaceRange, workspaceRoot } from "../src/workspace.js";

const consumer = inject("consumer");
const dir = join(consumer.root, "contract-only");

/** Every package installed under `nodeModules`, nested ones included, by name. */
function installedPackages(nodeModules: string): string[] {
  const names: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(nodeModules);
  } catch {
    return names;
  }
  for (const entry of entries) {
    if (entry.startsWith(".")) continue;
    const folders = entry.startsWith("@")
      ? readdirSync(join(nodeModules, entry)).map((name) => join(entry, name))
      : [entry];
    for (const folder of folders) {
      const manifest = JSON.parse(
        readFileSync(join(nodeModules, folder, "package.json"), "utf8"),
      ) as { name: string };
      names.push(manifest.name);
      names.push(...installedPackages(join(nodeModules, folder, "node_modules")));
    }
  }
  return names.sort();
}

function tarballOf(name: string): string {
  const pkg = consumer.packed.find((entry) => entry.name === name);
  if (pkg === undefined) throw new Error(`${name} was not packed`);
  return pkg.tarball;
}

beforeAll(async () => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "package.json"),
    // lru-cache and the rest come at the lockfile's versions (see projectDependencies).
    `${JSON.stringify({ name: "contract-only", private: true, type: "module", ...projectDependencies({}, [], workspaceRange) }, null, 2)}\n`,
  );
  const tarballs = ["@vmcp/session-core", "@vmcp/session-keys", "@vmcp/store-memory"].map(
    tarballOf,
  );
  await runCommand(
    "npm",
    ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", ...tarballs],
    { cwd: dir, timeoutMs: NpmInstallTimeoutMs, env: { npm_config_update_notifier: "false" } },
  );
}, NpmInstallTimeoutMs + 10_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a contract-plus-memory-store install", () => {
  it("installs exactly session-core, session-keys, store-memory and lru-cache", () => {
    const installed = installedPackages(join(dir, "node_modules"));
    expect(installed).not.toContain("@opentelemetry/api");
    expect(installed).toEqual([
      "@vmcp/session-core",
      "@vmcp/session-keys",
      "@vmcp/store-memory",
      "lru-cache",
    ]);
  });

  it("stores a session, and the connector without the SDK throws a typed error naming the package", async () => {
    writeFileSync(
      join(dir, "use.mjs"),
      `import { errorCodeOf, McpBackendConnector } from "@vmcp/session-core";
import { MemoryStorage } from "@vmcp/store-memory";
const storage = new MemoryStorage();
await storage.create({ id: "s1", metadata: { "vmcp.backend.ids": "alpha" } });
const loaded = (await storage.load("s1"))?.metadata;
await storage.close();
const connector = new McpBackendConnector();
const target = { workloadId: "alpha", transport: { kind: "streamable-http", url: "http://127.0.0.1:9/mcp" } };
const error = await connector.connect(target).then(() => undefined, (e) => e);
await connector.close();
console.log(JSON.stringify({ loaded, code: errorCodeOf(error), name: error?.name, message: error?.message, packageName: error?.packageName }));
`,
    );
    const { stdout } = await runCommand(process.execPath, ["use.mjs"], {
      cwd: dir,
      timeoutMs: 30_000,
    });
    const result = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}");
    expect(result).toEqual({
      loaded: { "vmcp.backend.ids": "alpha" },
      code: "VMCP_MCP_SDK_MISSING",
      name: "McpSdkMissingError",
      message: expect.stringContaining("npm i @modelcontextprotocol/sdk"),
      packageName: "@modelcontextprotocol/sdk",
    });
  });

  it("runs a session manager over the memory store without @opentelemetry/api", async () => {
    writeFileSync(
      join(dir, "manager.mjs"),
      `import { createRequire } from "node:module";
import { instrumentBus, MultiSessionFactory, SessionManager } from "@vmcp/session-core";
import { MemoryStorage } from "@vmcp/store-memory";
const manager = new SessionManager({
  storage: new MemoryStorage(),
  factory: new MultiSessionFactory({ backends: [] }),
});
const session = await manager.create();
const found = (await manager.get(session.id))?.id === session.id;
const terminated = await manager.terminate(session.id);
await manager.close();
const bus = instrumentBus({ publish: async () => {}, subscribe: async () => ({ unsubscribe: async () => {} }), close: async () => {} });
await bus.publish(session.id, "{}");
const loaded = Object.keys(createRequire(import.meta.url).cache).filter((file) => file.includes("@opentelemetry"));
console.log(JSON.stringify({ found, terminated, loaded }));
`,
    );
    // Without NODE_PATH: pnpm's bin shims (vitest's among them) point it at the workspace's
    // hoisted packages, where require() (unlike import) would find the workspace's API copy.
    const { stdout } = await runCommand(process.execPath, ["manager.mjs"], {
      cwd: dir,
      timeoutMs: 30_000,
      env: { NODE_PATH: "" },
    });
    expect(JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}")).toEqual({
      found: true,
      terminated: true,
      loaded: [],
    });
  });

  it("type-checks a contract-plus-memory-store program with skipLibCheck; without it only the SDK's types are missing (none of @opentelemetry/api)", async () => {
    mkdirSync(join(dir, "src"), { recursive: true });
    writeFileSync(
      join(dir, "src", "store.ts"),
      `import { type SessionRecord, type SessionStorage, StorageUnavailableError } from "@vmcp/session-core";
import { MemoryStorage } from "@vmcp/store-memory";
const storage: SessionStorage = new MemoryStorage();
const record: SessionRecord | undefined = await storage.load("s1");
console.log(record?.id, new StorageUnavailableError("x").code);
await storage.close();
`,
    );
    const tsc = async (skipLibCheck: boolean): Promise<string> => {
      const options = {
        target: "ES2023",
        lib: ["ES2023"],
        module: "NodeNext",
        moduleResolution: "NodeNext",
        // Node's types from the workspace: a user has @types/node; it is no part of the install.
        typeRoots: [join(workspaceRoot, "node_modules", "@types")],
        types: ["node"],
        strict: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        skipLibCheck,
        noEmit: true,
        rootDir: "src",
      };
      writeFileSync(
        join(dir, "tsconfig.json"),
        JSON.stringify({ compilerOptions: options, include: ["src"] }),
      );
      try {
        await runCommand(
          join(workspaceRoot, "node_modules", ".bin", "tsc"),
          ["-p", dir, "--pretty", "false"],
          { cwd: dir, timeoutMs: CompileTimeoutMs },
        );
        return "";
      } catch (error) {
        if (!(error instanceof CommandFailedError)) throw error;
        return `${error.stdout}${error.stderr}`.trim();
      }
    };
    expect(await tsc(true)).toBe("");
    const strict = (await tsc(false)).split("\n").filter((line) => line !== "");
    expect(strict.length).toBeGreaterThan(0);
    for (const line of strict) {
      expect(line).toMatch(/error TS2307: Cannot find module '@modelcontextprotocol\/sdk\//);
    }
  });
});
