import type { SessionStorage } from "@vmcp/session-core";
import type { StoreConfig } from "../config/gateway-config.js";
import { GatewayConfigError } from "../errors.js";

/** A RedisStorage for the `redis` store configuration. */
export async function createRedisStorage(
  config: Extract<StoreConfig, { kind: "redis" }>,
): Promise<SessionStorage> {
  void config;
  throw new GatewayConfigError("store.kind", "the redis store is not available yet");
}
