import { execFileSync } from "node:child_process";

/** The hint every "redis-server is missing" error carries. */
export const InstallRedisHint = "install redis-server: apt-get install -y redis-server";

/** Where the harness finds the Redis binaries, and which version they are. */
export interface RedisBinaries {
  /** The `redis-server` command: `$VMCP_REDIS_SERVER`, default `redis-server` on PATH. */
  readonly redisServer: string;
  /** The `redis-cli` command: `$VMCP_REDIS_CLI`, default `redis-cli` on PATH. */
  readonly redisCli: string;
  /** The first line `redis-server --version` prints. */
  readonly version: string;
}

/** Thrown when `redis-server` or `redis-cli` cannot be run. Its message says how to install them. */
export class RedisServerMissingError extends Error {
  /** Stable code, for callers that branch without `instanceof`. */
  readonly code = "VMCP_REDIS_SERVER_MISSING";

  constructor(binary: string, cause: unknown) {
    super(
      `cannot run ${JSON.stringify(binary)}; the Redis tests need a real redis-server and redis-cli. ` +
        `To get them, ${InstallRedisHint}`,
      { cause },
    );
    this.name = "RedisServerMissingError";
  }
}

let found: RedisBinaries | undefined;

/**
 * Checks that `redis-server` and `redis-cli` can be run and returns them. Call it at the top of
 * every suite that needs Redis: it never skips, it fails loudly.
 * @throws {RedisServerMissingError} saying "install redis-server: apt-get install -y redis-server".
 */
export function requireRedisServer(): RedisBinaries {
  if (found !== undefined) return found;
  const redisServer = process.env.VMCP_REDIS_SERVER ?? "redis-server";
  const redisCli = process.env.VMCP_REDIS_CLI ?? "redis-cli";
  const version = runVersion(redisServer);
  runVersion(redisCli);
  found = { redisServer, redisCli, version };
  return found;
}

function runVersion(binary: string): string {
  try {
    const out = execFileSync(binary, ["--version"], { encoding: "utf8", timeout: 10_000 });
    return out.split("\n")[0]?.trim() ?? "";
  } catch (error) {
    throw new RedisServerMissingError(binary, error);
  }
}
