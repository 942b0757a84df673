import { execFile } from "node:child_process";

/** How to run one command: {@link runCommand}. */
export interface RunOptions {
  /** The working directory. */
  readonly cwd: string;
  /** Extra environment variables, on top of this process's. */
  readonly env?: Readonly<Record<string, string>>;
  /** The bound on the whole command, ms; past it the command is killed and the call rejects. */
  readonly timeoutMs: number;
}

/** What a finished command printed. */
export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** A command that exited non-zero, was killed, or ran past its bound; its message holds the output. */
export class CommandFailedError extends Error {
  override readonly name = "CommandFailedError";
  readonly code = "COMMAND_FAILED";

  constructor(
    readonly command: string,
    readonly stdout: string,
    readonly stderr: string,
    reason: string,
  ) {
    super(`${command} failed (${reason})\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`);
  }
}

/**
 * Runs `file` with `args` (no shell) and resolves with its output once it exits 0.
 * @throws {CommandFailedError} on a non-zero exit, a signal, or after `timeoutMs`.
 */
export function runCommand(
  file: string,
  args: readonly string[],
  options: RunOptions,
): Promise<RunResult> {
  const command = [file, ...args].join(" ");
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        cwd: options.cwd,
        env: { ...process.env, ...options.env },
        timeout: options.timeoutMs,
        killSignal: "SIGKILL",
        maxBuffer: 64 * 1024 * 1024,
        encoding: "utf8",
      },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve({ stdout, stderr });
          return;
        }
        const reason =
          error.killed === true
            ? `killed after ${options.timeoutMs} ms`
            : `exit ${String(error.code ?? error.signal)}`;
        reject(new CommandFailedError(command, stdout, stderr, reason));
      },
    );
  });
}
