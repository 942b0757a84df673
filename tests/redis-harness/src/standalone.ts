import { type RedisServer, spawnRedis } from "./redis-process.js";

/** Options for {@link startRedisServer}. */
export interface StandaloneOptions {
  /** Extra `redis-server` arguments, e.g. `["--requirepass", "secret"]`. Default none. */
  readonly args?: readonly string[];
}

/**
 * Starts a standalone `redis-server` on a free loopback port (`--save "" --appendonly no`, a temp
 * directory) and resolves once it answers PING. Call `close()` when done (e.g. in `afterAll`).
 * @throws {RedisServerMissingError} when redis-server is not installed (never skips).
 */
export function startRedisServer(options: StandaloneOptions = {}): Promise<RedisServer> {
  return spawnRedis({ label: "standalone", args: options.args ?? [] });
}
