import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** The built CLI entry of the gateway. */
export const CliPath = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));

/** A gateway started as `vmcp-gateway serve` in a child process. */
export interface GatewayProcess {
  /** Base URL; MCP at `${url}/mcp`. */
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything the process wrote to stderr so far (pino logs). */
  stderr(): string;
  /** Whether the process is still running. */
  alive(): boolean;
  /** SIGTERM and wait; resolves the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait. */
  kill(): Promise<void>;
}

const started = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of started) child.kill("SIGKILL");
});

/** Starts `node dist/cli.js serve <args>` and resolves once it printed its listening line. */
export function startGatewayProcess(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [CliPath, "serve", "--port", "0", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, VMCP_LOG_LEVEL: "info", ...env },
  });
  started.add(child);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      started.delete(child);
      resolve(code);
    }),
  );
  const alive = () => child.exitCode === null && child.signalCode === null;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${stderr}`)), 15_000);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited (${String(code)}) before listening:\n${stderr}`));
    });
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on("line", (line) => {
      const match = /listening on (http:\/\/\S+)\/mcp/.exec(line);
      if (match?.[1] === undefined) return;
      clearTimeout(timer);
      resolve({
        url: match[1],
        child,
        stderr: () => stderr,
        alive,
        stop: async () => {
          if (alive()) child.kill("SIGTERM");
          return exited;
        },
        kill: async () => {
          if (alive()) child.kill("SIGKILL");
          await exited;
        },
      });
    });
  });
}

/** What a finished child process printed, and its exit code. */
export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node <script> <args>` to completion, with `env` on top of this process's environment. */
export function runScript(
  script: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<Finished> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs `node dist/cli.js <args>` to completion. */
export function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<Finished> {
  return runScript(CliPath, args, env);
}

/**
 * The live (not zombie) child processes of `parent` whose command line contains `script`, by
 * process ID (from `ps`; none when there is none).
 */
export function childProcessesRunning(parent: number, script: string): number[] {
  let out = "";
  try {
    out = execFileSync("ps", ["-o", "pid=,stat=,args=", "--ppid", String(parent)], {
      encoding: "utf8",
    });
  } catch {
    return []; // ps exits 1 when there is none
  }
  return out
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter(([, stat, ...args]) => !stat?.startsWith("Z") && args.join(" ").includes(script))
    .map(([pid]) => Number(pid));
}

/** Whether process `pid` is gone (signal 0 fails). */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}
