/**
 * The packages as a user gets them: installed from their tarballs with plain npm into a project
 * outside the workspace. There the memory store loads without the MCP SDK, the Redis store talks
 * to a real Redis, a small program swaps the store by configuration, and the conformance suite
 * from its installed package passes against both stores.
 */
import { randomUUID } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { redisCli } from "@vmcp/redis-harness";
import { describe, expect, inject, it } from "vitest";
import { CommandFailedError, runCommand } from "../src/run-command.js";
import { parseTscOutput } from "../src/tsc-diagnostics.js";
import { workspaceRoot } from "../src/workspace.js";

const consumer = inject("consumer");
const project = consumer.projectDir;
const installed = (name: string) => `${join(project, "node_modules", ...name.split("/"))}/`;
const sdk = "/node_modules/@modelcontextprotocol/";

/** Runs a compiled program of the consumer project with the resolve logger; returns stdout and every module it loaded. */
async function runLogged(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ stdout: string; loaded: string[] }> {
  const logFile = join(consumer.root, `resolved-${randomUUID()}.log`);
  try {
    const { stdout } = await runCommand(
      process.execPath,
      ["--import", "./dist/hooks/register.js", ...args],
      { cwd: project, env: { ...env, VMCP_RESOLVE_LOG: logFile }, timeoutMs: 60_000 },
    );
    const loaded = readFileSync(logFile, "utf8")
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => decodeURIComponent(line.replace(/^file:\/\//, "").replace(/^cjs:/, "")));
    return { stdout, loaded };
  } finally {
    rmSync(logFile, { force: true });
  }
}

/** The failing tests of a TAP report, each with its diagnostics block. */
function failures(tap: string): string {
  const lines = tap.split("\n");
  const out: string[] = [];
  lines.forEach((line, index) => {
    if (!/^\s*not ok /.test(line)) return;
    const indent = line.search(/\S/);
    const block = [line];
    for (const next of lines.slice(index + 1)) {
      if (next.search(/\S/) <= indent && next.trim() !== "") break;
      block.push(next);
    }
    if (!block.some((entry) => entry.includes("subtestsFailed"))) out.push(block.join("\n"));
  });
  return out.join("\n");
}

function lastJsonLine(stdout: string): unknown {
  const lines = stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1] ?? "null");
}

it("type-checks the consumer project against the installed packages' types", () => {
  const projectErrors = parseTscOutput(consumer.tscOutput)
    .filter((diagnostic) => !diagnostic.file.startsWith("src/readme/"))
    .map((diagnostic) => diagnostic.text);
  expect(projectErrors).toEqual([]);
});

describe("the resolve logger (the detector the isolation checks rely on)", () => {
  it("sees the MCP SDK when a program does load it", async () => {
    const { loaded } = await runLogged([
      "--input-type=module",
      "--eval",
      'await import("@modelcontextprotocol/sdk/types.js");',
    ]);
    expect(loaded.some((path) => path.includes(sdk))).toBe(true);
  });
});

describe("@vmcp/store-memory on its own", () => {
  it("stores and loads a session without loading the MCP SDK or ioredis", async () => {
    const { stdout, loaded } = await runLogged(["dist/memory-only.js"]);
    expect(lastJsonLine(stdout)).toMatchObject({
      created: true,
      record: {
        id: "consumer-memory-only-1",
        version: 1,
        metadata: { "vmcp.backend.ids": "alpha" },
      },
    });
    // It ran the installed copies, not the workspace's.
    expect(loaded.some((path) => path.startsWith(installed("@vmcp/store-memory")))).toBe(true);
    expect(loaded.some((path) => path.startsWith(installed("lru-cache")))).toBe(true);
    expect(
      loaded.filter((path) => path.startsWith(workspaceRoot) || path.includes("/.pnpm/")),
    ).toEqual([]);
    // session-core's MCP parts stay unloaded: no SDK module, and no ioredis either.
    expect(loaded.filter((path) => path.includes(sdk))).toEqual([]);
    expect(loaded.filter((path) => path.includes("/node_modules/ioredis/"))).toEqual([]);
  });
});

describe("an application with @opentelemetry/api installed (session-core's optional peer)", () => {
  it("session-core records its spans into the tracer provider the application registers", async () => {
    // Without NODE_PATH (pnpm's bin shims point it at the workspace): only the project resolves.
    const { stdout, loaded } = await runLogged(["dist/traced.js"], { NODE_PATH: "" });
    expect(lastJsonLine(stdout)).toEqual({
      spans: ["vmcp.storage.create", "vmcp.storage.load", "vmcp.storage.delete"],
    });
    // One copy of the API, the one the application installed.
    const api = loaded.filter((path) => path.includes("/@opentelemetry/api/"));
    expect(api.length).toBeGreaterThan(0);
    expect(api.filter((path) => !path.startsWith(installed("@opentelemetry/api")))).toEqual([]);
  });
});

describe("a program that swaps the store by configuration", () => {
  it("VMCP_STORE=memory: keeps the session in the process, loads neither ioredis nor the SDK", async () => {
    const id = `swap-memory-${randomUUID()}`;
    const env = { VMCP_STORE: "memory" };
    const written = await runLogged(["dist/swap-store.js", "write", id], env);
    expect(lastJsonLine(written.stdout)).toMatchObject({
      created: true,
      updated: true,
      record: {
        id,
        version: 2,
        metadata: {
          "vmcp.backend.ids": "alpha,beta",
          "vmcp.backend.session.alpha": "alpha-session-1",
        },
      },
    });
    expect(written.loaded.filter((path) => path.includes("/node_modules/ioredis/"))).toEqual([]);
    expect(
      written.loaded.filter((path) => path.startsWith(installed("@vmcp/store-redis"))),
    ).toEqual([]);
    expect(written.loaded.filter((path) => path.includes(sdk))).toEqual([]);
    // Another process sees nothing: the memory store is per process.
    const read = await runLogged(["dist/swap-store.js", "read", id], env);
    expect(lastJsonLine(read.stdout)).toEqual({ record: null });
  });

  it("VMCP_STORE=redis: writes to Redis, another process reads it back, the SDK stays unloaded", async () => {
    const id = `swap-redis-${randomUUID()}`;
    const keyPrefix = `consumer-swap-${randomUUID()}:`;
    const env = {
      VMCP_STORE: "redis",
      VMCP_REDIS_URL: consumer.redisUrl,
      VMCP_KEY_PREFIX: keyPrefix,
    };
    const written = await runLogged(["dist/swap-store.js", "write", id], env);
    const expected = {
      id,
      version: 2,
      metadata: {
        "vmcp.backend.ids": "alpha,beta",
        "vmcp.backend.session.alpha": "alpha-session-1",
      },
    };
    expect(lastJsonLine(written.stdout)).toMatchObject({
      created: true,
      updated: true,
      record: expected,
    });
    expect(written.loaded.some((path) => path.startsWith(installed("@vmcp/store-redis")))).toBe(
      true,
    );
    expect(written.loaded.some((path) => path.startsWith(installed("ioredis")))).toBe(true);
    expect(written.loaded.filter((path) => path.includes(sdk))).toEqual([]);
    expect(
      written.loaded.filter((path) => path.startsWith(installed("@vmcp/store-memory"))),
    ).toEqual([]);

    // The session is in Redis itself, under the configured prefix.
    const keys = await redisCli(consumer.redisPort, ["--scan", "--pattern", `${keyPrefix}*`]);
    expect(keys.split("\n").filter((key) => key !== "")).toHaveLength(1);

    const read = await runLogged(["dist/swap-store.js", "read", id], env);
    expect(lastJsonLine(read.stdout)).toMatchObject({ record: expected });
  });
});

describe("the conformance suite from the installed @vmcp/storage-test-suite (node:test)", () => {
  for (const store of ["memory", "redis"] as const) {
    it(`passes against the ${store} store`, async () => {
      const env = { VMCP_STORE: store, VMCP_REDIS_URL: consumer.redisUrl };
      let stdout: string;
      try {
        ({ stdout } = await runCommand(
          process.execPath,
          ["--test", "--test-reporter=tap", "dist/conformance.test.js"],
          { cwd: project, env, timeoutMs: 180_000 },
        ));
      } catch (error) {
        if (!(error instanceof CommandFailedError)) throw error;
        throw new Error(
          `the conformance suite failed against the ${store} store:\n${failures(error.stdout)}\n${error.stderr}`,
        );
      }
      const count = (name: string) =>
        Number(new RegExp(`^# ${name} (\\d+)$`, "m").exec(stdout)?.[1]);
      expect(count("fail")).toBe(0);
      expect(count("skipped")).toBe(0);
      expect(count("todo")).toBe(0);
      expect(count("cancelled")).toBe(0);
      expect(count("pass")).toBeGreaterThan(10);
      expect(count("pass")).toBe(count("tests"));
    });
  }
});
