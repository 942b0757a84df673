import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** The built CLI entry of the gateway. */
const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));

/**
 * Starts `node dist/cli.js serve --port 0 --log-level <logLevel> <args>` (stderr inherited; another
 * build's CLI with `options.cli`, extra environment variables with `options.env`) and
 * resolves its base URL (MCP at `${url}/mcp`) once it printed its listening line; rejects if it
 * exits first. The caller kills `child`.
 */
export async function startGateway(
  args: readonly string[],
  logLevel: "warn" | "error",
  options: { cli?: string; env?: Readonly<Record<string, string>> } = {},
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [options.cli ?? cli, "serve", "--port", "0", "--log-level", logLevel, ...args],
    {
      stdio: ["ignore", "pipe", "inherit"],
      ...(options.env === undefined ? {} : { env: { ...process.env, ...options.env } }),
    },
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const url = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`gateway exited with ${String(code)}`)));
    lines.on("line", (line) => {
      const match = /listening on (\S+)\/mcp/.exec(line);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
  });
  return { url, child };
}

/**
 * Starts one of the benches' backend scripts (`./<name>.js`, built beside this file) as a child
 * process, and resolves its URL: the first line it prints. Rejects if it exits first. The caller
 * kills `child`.
 */
export async function spawnBackendProcess(
  name: string,
): Promise<{ url: string; child: ChildProcess }> {
  const script = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  const child = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const url = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`backend exited with ${String(code)}`)));
    lines.once("line", (line) => resolve(line.trim()));
  });
  return { url, child };
}
