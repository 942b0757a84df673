import { type RedisServer, startRedisServer } from "@vmcp/redis-harness";
import { type DemoBackends, startDemoBackends } from "./demo-backends.js";

/** A Redis server of a suite's own and both demo backends, for gateways on the Redis store. */
export interface RedisWithBackends {
  readonly redis: RedisServer;
  readonly backends: DemoBackends;
  /** `--store redis --redis-url <this server>`: what points a gateway, or the CLI, at it. */
  readonly storeFlags: readonly string[];
  /** Stops the backends, then the server. */
  stop(): Promise<void>;
}

/**
 * Starts a Redis server (on a free loopback port) and both demo backends together. If either
 * fails to start, the other is stopped before the error is thrown.
 */
export async function startRedisWithBackends(): Promise<RedisWithBackends> {
  const [redis, backends] = await Promise.allSettled([startRedisServer(), startDemoBackends()]);
  if (redis.status === "rejected" || backends.status === "rejected") {
    if (redis.status === "fulfilled") await redis.value.close();
    if (backends.status === "fulfilled") await backends.value.stop();
    throw redis.status === "rejected" ? redis.reason : (backends as PromiseRejectedResult).reason;
  }
  return {
    redis: redis.value,
    backends: backends.value,
    storeFlags: ["--store", "redis", "--redis-url", redis.value.url],
    stop: async () => {
      await backends.value.stop();
      await redis.value.close();
    },
  };
}
