import { spawn } from "node:child_process";

/** How a process run by {@link runProcess} ended. */
export interface ProcessOutcome {
  /** Its exit code; null when a signal ended it (as the timeout does). */
  readonly code: number | null;
  /** Everything it wrote to stdout (captured, never echoed). */
  readonly stdout: string;
  /** Everything it wrote to stderr (captured, never echoed). */
  readonly stderr: string;
  /** True when it was killed for running past `timeoutMs`. */
  readonly timedOut: boolean;
  /** Wall time from spawn to exit, ms. */
  readonly durationMs: number;
}

/**
 * Runs `command` with `args` (no shell), stdin closed, capturing stdout and stderr, and resolves
 * once it has exited; kills it (SIGKILL) after `timeoutMs` (ms). Rejects only when it cannot be
 * started (e.g. `ENOENT`).
 */
export function runProcess(
  command: string,
  args: readonly string[],
  options: { readonly env?: NodeJS.ProcessEnv; readonly timeoutMs: number },
): Promise<ProcessOutcome> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, options.timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut, durationMs: performance.now() - started });
    });
  });
}
