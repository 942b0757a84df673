import { createRequire } from "node:module";
import type { Cluster, Redis } from "ioredis";
import { RedisClientMissingError } from "./redis-client-missing.js";

const require = createRequire(import.meta.url);

/**
 * ioredis, loaded when the storage builds a client: it is an optional peer dependency, so a
 * node-redis user who hands in a client never needs it installed.
 * @throws {RedisClientMissingError} naming `ioredis` when it is not installed.
 */
export function loadIoredis(): { Redis: typeof Redis; Cluster: typeof Cluster } {
  try {
    return require("ioredis") as { Redis: typeof Redis; Cluster: typeof Cluster };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "MODULE_NOT_FOUND" && String((error as Error).message).includes("'ioredis'")) {
      throw new RedisClientMissingError("ioredis", { cause: error });
    }
    throw error;
  }
}
