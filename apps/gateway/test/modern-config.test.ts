import { describe, expect, it } from "vitest";
import { loadGatewayConfig, validateGatewayConfig } from "../dist/config/load-config.js";

describe("the modern section of the configuration", () => {
  it("has a safe default for every limit", async () => {
    const config = await loadGatewayConfig({});
    expect(config.modern).toEqual({
      verdictTtlMs: 300_000,
      probeRetryMs: 5_000,
      maxSubscriptions: 1024,
      maxResourceSubscriptions: 1024,
      changeCoalesceMs: 100,
      keepAliveMs: 15_000,
      listTtlCapMs: 60_000,
      callTimeoutMs: 60_000,
      taskRouteTtlMs: 86_400_000,
      pooledSessionTtlMs: 1_800_000,
      maxPooledSessions: 256,
      maxPooledSessionsPerCaller: 4,
      maxParkedCalls: 256,
      parkTimeoutMs: 60_000,
      parkAckTimeoutMs: 2_000,
      parkHeartbeatMs: 1_000,
      parkMissedHeartbeats: 3,
      parkBatchMs: 20,
      maxParkedNotifications: 64,
    });
  });

  it("reads each field from the file, its env variable and its flag (flags win)", async () => {
    const config = await loadGatewayConfig({
      env: { VMCP_MODERN_VERDICT_TTL_MS: "10000", VMCP_MODERN_KEEP_ALIVE_MS: "0" },
      flags: { "modern-verdict-ttl-ms": "20000", "modern-list-ttl-cap-ms": "0" },
    });
    expect(config.modern).toMatchObject({ verdictTtlMs: 20_000, keepAliveMs: 0, listTtlCapMs: 0 });
    expect(validateGatewayConfig({ modern: { maxSubscriptions: 8 } }).modern.maxSubscriptions).toBe(
      8,
    );
  });

  it("names a bad field, and an unknown key with the nearest known one", async () => {
    await expect(
      loadGatewayConfig({ flags: { "modern-verdict-ttl-ms": "999" } }),
    ).rejects.toMatchObject({ field: "modern.verdictTtlMs" });
    await expect(
      loadGatewayConfig({ env: { VMCP_MODERN_CALL_TIMEOUT_MS: "soon" } }),
    ).rejects.toMatchObject({ field: "modern.callTimeoutMs" });
    await expect(
      loadGatewayConfig({ flags: { "modern-task-route-ttl-ms": "999" } }),
    ).rejects.toMatchObject({ field: "modern.taskRouteTtlMs" });
    expect(() => validateGatewayConfig({ modern: { verdictTTLMs: 1000 } })).toThrow(
      /modern\.verdictTTLMs: unknown key; did you mean modern\.verdictTtlMs\?/,
    );
  });
});
