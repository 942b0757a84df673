/**
 * The conformance suite from the installed @vmcp/storage-test-suite, run by node:test against the
 * store named by `VMCP_STORE` (`memory`, or `redis` with `VMCP_REDIS_URL`).
 */
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, it } from "node:test";
import { describeSessionStorageConformance } from "@vmcp/storage-test-suite";
import { MemoryStorage } from "@vmcp/store-memory";
import { RedisStorage } from "@vmcp/store-redis";

const store = process.env.VMCP_STORE;
const redisUrl = process.env.VMCP_REDIS_URL;

if (store === "memory") {
  describeSessionStorageConformance(
    { describe, it, beforeEach, afterEach },
    {
      name: "MemoryStorage (installed from its tarball)",
      setup: async () => ({ storage: new MemoryStorage() }),
    },
  );
} else if (store === "redis" && redisUrl !== undefined) {
  describeSessionStorageConformance(
    { describe, it, beforeEach, afterEach },
    {
      name: "RedisStorage (installed from its tarball)",
      setup: async () => {
        const keyPrefix = `consumer:${randomUUID()}:`;
        return {
          storage: new RedisStorage({ url: redisUrl, keyPrefix }),
          openReplica: async () => new RedisStorage({ url: redisUrl, keyPrefix }),
        };
      },
    },
  );
} else {
  throw new Error("set VMCP_STORE=memory, or VMCP_STORE=redis with VMCP_REDIS_URL");
}
