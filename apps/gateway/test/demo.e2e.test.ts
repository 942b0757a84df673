import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startRedisServer } from "@vmcp/redis-harness";
import { describe, expect, it } from "vitest";
import { CliPath, type Finished, runScript } from "./helpers/processes.js";

const demoPath = CliPath.replace(/cli\.js$/, "demo.js");
const RepositoryRoot = resolve(fileURLToPath(new URL("../../..", import.meta.url)));

/** The `vmcp-gateway sessions <action>` command line the demo printed. */
function printedCommand(stdout: string, action: "show" | "delete"): string {
  const line = new RegExp(`^\\s+(npx .* vmcp-gateway sessions ${action} .*)$`, "m").exec(stdout);
  expect(line, `no "sessions ${action}" command in:\n${stdout}`).not.toBeNull();
  return line?.[1] ?? "";
}

/** The session ID at the end of a printed command (after `--`). */
function keptId(command: string): string {
  return command.split(" -- ")[1] ?? "";
}

/**
 * Runs `command` with `sh -c` in `cwd`, as pasted into a terminal: without the `npm_*` variables
 * that the package manager running these tests set.
 */
function runShell(command: string, cwd: string): Promise<Finished> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)),
  );
  return new Promise((resolve) => {
    const child = spawn("sh", ["-c", command], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

function runDemo(args: readonly string[]): Promise<Finished> {
  return runScript(demoPath, args);
}

function expectWalkthrough(stdout: string): void {
  expect(stdout).toMatch(/add\(\{"a":2,"b":40\}\) -> 42/);
  expect(stdout).toMatch(/reverse\(\{"text":"stressed"\}\) -> desserts/);
  expect(stdout).toMatch(/vmcp\.backend\.ids\s+alpha,beta/);
  expect(stdout).toMatch(/vmcp\.backend\.session\.alpha\s+\S+/);
  expect(stdout).toMatch(/vmcp\.backend\.session\.beta\s+\S+/);
  expect(stdout).toMatch(/owner\s+newcomer/);
  expect(stdout).toMatch(/the store no longer holds it/);
}

describe("the demo", () => {
  it("runs on the memory store and exits 0", async () => {
    const result = await runDemo([]);
    expect(result.code, result.stderr).toBe(0);
    expectWalkthrough(result.stdout);
  });

  // The demo, then three pasted commands that each start npx, pnpm and a (cached) turbo build:
  // about 16 s on the idle 2-core machine, so a bound with room for a busy one.
  it("runs on Redis with --store redis --redis-url", { timeout: 150_000 }, async () => {
    const redis = await startRedisServer();
    try {
      const result = await runDemo(["--store", "redis", "--redis-url", redis.url]);
      expect(result.code, result.stderr).toBe(0);
      expectWalkthrough(result.stdout);
      // The printed commands work verbatim from the repository root, as a newcomer pastes them.
      const root = /from the repository root \((.+)\):$/m.exec(result.stdout)?.[1];
      expect(root).toBe(RepositoryRoot);
      const show = printedCommand(result.stdout, "show");
      const remove = printedCommand(result.stdout, "delete");
      expect(show).toBe(
        `npx -y pnpm@12.4.2 vmcp-gateway sessions show --store redis --redis-url ${redis.url} -- ${keptId(show)}`,
      );
      const shown = await runShell(show, RepositoryRoot);
      expect(shown.code, shown.stderr).toBe(0);
      expect(shown.stdout).toContain(`session   ${keptId(show)}`);
      expect(shown.stdout).toMatch(/owner\s+newcomer/);
      expect(shown.stdout).toMatch(/^\s+alpha\s+\S+\s+\d{4}-\d\d-\d\d$/m);
      const deleted = await runShell(remove, RepositoryRoot);
      expect(deleted.code, deleted.stderr).toBe(0);
      expect(deleted.stdout).toContain(`deleted session ${keptId(show)}`);
      expect((await runShell(show, RepositoryRoot)).code).toBe(1);
    } finally {
      await redis.close();
    }
  });

  it("exits 2 naming the field for bad configuration, and for an argument it does not take", async () => {
    const result = await runDemo(["--store", "redis"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/store\.url/);
    const extra = await runDemo(["redis"]);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toMatch(/the demo takes no arguments, got "redis"/);
  });
});
