import { execFile } from "node:child_process";
import { requireRedisServer } from "./require-redis.js";

/** Default bound on one `redis-cli` call, ms. */
export const DefaultCliTimeoutMs = 10_000;

/**
 * Runs `redis-cli -h 127.0.0.1 -p <port> <args...>` and resolves its standard output, trimmed.
 * @throws {Error} when redis-cli exits non-zero, prints an `(error)`/`ERR` reply, or runs over
 *   `timeoutMs` (default {@link DefaultCliTimeoutMs}).
 */
export function redisCli(
  port: number,
  args: readonly string[],
  timeoutMs: number = DefaultCliTimeoutMs,
): Promise<string> {
  const { redisCli: binary } = requireRedisServer();
  return new Promise((resolve, reject) => {
    execFile(
      binary,
      ["-h", "127.0.0.1", "-p", String(port), ...args],
      { encoding: "utf8", timeout: timeoutMs },
      (error, stdout, stderr) => {
        const out = stdout.trim();
        if (error !== null) {
          reject(
            new Error(`redis-cli -p ${port} ${args.join(" ")} failed: ${stderr || out}`, {
              cause: error,
            }),
          );
        } else if (
          /^(\(error\)|ERR |Could not connect)/m.test(out) ||
          /Could not connect/.test(stderr)
        ) {
          reject(new Error(`redis-cli -p ${port} ${args.join(" ")}: ${out || stderr}`));
        } else {
          resolve(out);
        }
      },
    );
  });
}
