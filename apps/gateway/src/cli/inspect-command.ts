import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { FlagValues } from "../config/config-sources.js";
import { shellWord } from "../shell-word.js";

/** The flags that choose the store, which a `sessions` command needs to find the same sessions. */
const StoreFlags = [
  "config",
  "store",
  "redis-url",
  "redis-sentinel",
  "redis-cluster",
  "redis-key-prefix",
] as const;

/** How to run `vmcp-gateway`, and from where. */
export interface CliLauncher {
  /** The command's first words, e.g. `npx -y pnpm@12.4.2 vmcp-gateway`. */
  readonly prefix: string;
  /** Where the command must run: the repository root, or anywhere (`undefined`). */
  readonly cwd: string | undefined;
}

/**
 * How a user runs the CLI of this build: from the repository root through its `vmcp-gateway`
 * script (`npx -y pnpm@<the root's packageManager version> vmcp-gateway`, which builds first),
 * or, outside the repository, `node <this build's dist/cli.js>` from anywhere.
 */
export function cliLauncher(): CliLauncher {
  const root = resolve(fileURLToPath(new URL("../../../../", import.meta.url)));
  try {
    const manifest = JSON.parse(readFileSync(resolve(root, "package.json"), "utf8")) as {
      packageManager?: unknown;
      scripts?: Record<string, unknown>;
    };
    const pnpm = manifest.packageManager;
    if (
      typeof pnpm === "string" &&
      pnpm.startsWith("pnpm@") &&
      manifest.scripts?.["vmcp-gateway"]
    ) {
      return { prefix: `npx -y ${shellWord(pnpm)} vmcp-gateway`, cwd: root };
    }
  } catch {
    // Not in the repository: run the built CLI directly.
  }
  const cli = fileURLToPath(new URL("../cli.js", import.meta.url));
  return { prefix: `${shellWord(process.execPath)} ${shellWord(cli)}`, cwd: undefined };
}

/**
 * The shell command that runs `vmcp-gateway sessions <action> <id>` against the store the given
 * flags chose (their store flags only; a relative `--config` path made absolute from `cwd`), each
 * word quoted for a POSIX shell. The ID goes last, after `--`, since a session ID may begin
 * with `-`.
 */
export function sessionsCommand(
  launcher: CliLauncher,
  action: "show" | "delete",
  sessionId: string,
  flags: FlagValues,
  cwd: string = process.cwd(),
): string {
  const words = [launcher.prefix, "sessions", action];
  for (const flag of StoreFlags) {
    const given = flags[flag];
    const value = Array.isArray(given) ? given[given.length - 1] : given;
    if (value === undefined) continue;
    words.push(`--${flag}`, shellWord(flag === "config" ? resolve(cwd, value) : value));
  }
  words.push("--", shellWord(sessionId));
  return words.join(" ");
}
