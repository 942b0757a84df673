/**
 * A small application that picks its session store by configuration alone, the way a gateway
 * does: `VMCP_STORE=memory` or `VMCP_STORE=redis` (with `VMCP_REDIS_URL`, `VMCP_KEY_PREFIX`).
 *
 *   node dist/swap-store.js write <id>   creates a session with backend metadata, prints it
 *   node dist/swap-store.js read <id>    loads the session (in a new process), prints it or null
 */
import type { SessionStorage } from "@vmcp/session-core";
import { backendSessionKey, encodeBackendIds, MetadataKeyBackendIds } from "@vmcp/session-keys";

interface StoreConfig {
  readonly store: "memory" | "redis";
  readonly redisUrl?: string;
  readonly keyPrefix?: string;
}

function readConfig(env: NodeJS.ProcessEnv): StoreConfig {
  const store = env.VMCP_STORE;
  if (store === "memory") return { store };
  if (store === "redis") {
    const redisUrl = env.VMCP_REDIS_URL;
    if (redisUrl === undefined) throw new Error("VMCP_STORE=redis needs VMCP_REDIS_URL");
    const keyPrefix = env.VMCP_KEY_PREFIX;
    return keyPrefix === undefined ? { store, redisUrl } : { store, redisUrl, keyPrefix };
  }
  throw new Error(`VMCP_STORE must be "memory" or "redis", got ${String(store)}`);
}

/** Only the chosen store's package is loaded: the other one is never imported. */
async function openStorage(config: StoreConfig): Promise<SessionStorage> {
  if (config.store === "memory") {
    const { MemoryStorage } = await import("@vmcp/store-memory");
    return new MemoryStorage();
  }
  const { RedisStorage } = await import("@vmcp/store-redis");
  return new RedisStorage({
    ...(config.redisUrl === undefined ? {} : { url: config.redisUrl }),
    ...(config.keyPrefix === undefined ? {} : { keyPrefix: config.keyPrefix }),
  });
}

const [command, id] = process.argv.slice(2);
if ((command !== "write" && command !== "read") || id === undefined) {
  throw new Error("usage: swap-store.js write|read <session id>");
}
const storage = await openStorage(readConfig(process.env));
try {
  if (command === "write") {
    const backends = new Map([
      ["alpha", "alpha-session-1"],
      ["beta", ""],
    ]);
    const metadata: Record<string, string> = {
      [MetadataKeyBackendIds]: encodeBackendIds([...backends.keys()]),
    };
    for (const [workloadId, backendSession] of backends) {
      metadata[backendSessionKey(workloadId)] = backendSession;
    }
    const created = await storage.create({ id, expiresAt: Date.now() + 60_000, metadata });
    const updated = await storage.update(id, { remove: [backendSessionKey("beta")] });
    console.log(JSON.stringify({ created, updated, record: (await storage.load(id)) ?? null }));
  } else {
    console.log(JSON.stringify({ record: (await storage.load(id)) ?? null }));
  }
} finally {
  await storage.close();
}
