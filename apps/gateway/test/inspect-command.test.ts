import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cliLauncher, sessionsCommand } from "../dist/cli/inspect-command.js";
import { shellWord } from "../dist/shell-word.js";

const RepositoryRoot = resolve(fileURLToPath(new URL("../../..", import.meta.url)));

describe("the sessions commands the demo prints", () => {
  it("run through the repository's root script, with the root's pnpm version", () => {
    expect(cliLauncher()).toEqual({
      prefix: "npx -y pnpm@12.4.2 vmcp-gateway",
      cwd: RepositoryRoot,
    });
  });

  it("carry the store flags only, a --config made absolute, and the ID last after --", () => {
    const launcher = { prefix: "vmcp-gateway", cwd: undefined };
    const flags = {
      config: "conf/gw.json",
      store: "redis",
      "redis-url": "redis://:p&ss@127.0.0.1:6379/0",
      "redis-key-prefix": "team a:",
      port: "0",
      backend: ["a=http://127.0.0.1:1/mcp"],
      "log-level": "warn",
    };
    expect(sessionsCommand(launcher, "show", "-Kx3_a", flags, "/home/me/vmcp")).toBe(
      "vmcp-gateway sessions show --config /home/me/vmcp/conf/gw.json --store redis --redis-url 'redis://:p&ss@127.0.0.1:6379/0' --redis-key-prefix 'team a:' -- -Kx3_a",
    );
    expect(sessionsCommand(launcher, "delete", "abc", { "redis-cluster": "h:1,h:2" })).toBe(
      "vmcp-gateway sessions delete --redis-cluster h:1,h:2 -- abc",
    );
  });

  it("quote every word so that a POSIX shell reads it back unchanged", () => {
    const words = fc
      .sample(fc.string({ unit: "binary", maxLength: 12 }), 200)
      .map((w) => w.replaceAll("\0", ""));
    words.push("it's", "$HOME", "a b", "*", "~", "--", "-x", "", "'", "\\", "`id`", "é😀");
    const script = `printf '%s\\0' ${words.map(shellWord).join(" ")}`;
    const echoed = execFileSync("sh", ["-c", script], { encoding: "utf8" }).split("\0");
    expect(echoed.slice(0, -1)).toEqual(words);
  });
});
