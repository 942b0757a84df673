import { execFile } from "node:child_process";

/** Runs `node <script>` in `cwd` and resolves its stdout; rejects with its stderr on failure. */
export function runNode(script: string, cwd: string, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    // A plain user's environment: no NODE_OPTIONS of the test runner, and no NODE_PATH (pnpm
    // sets one that reaches every package of the workspace).
    const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" };
    execFile(
      process.execPath,
      [script],
      { cwd, env, timeout: timeoutMs },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`node ${script} failed: ${stderr || error.message}`));
        else resolve(stdout);
      },
    );
  });
}
