import { describe, expect, it } from "vitest";
import { loadGatewayConfig } from "../dist/config/load-config.js";

describe("the limits section of the configuration", () => {
  it("has a default for every limit", async () => {
    const config = await loadGatewayConfig({});
    expect(config.limits).toEqual({
      maxBatchLength: 50,
      maxConcurrentBackendRequests: 16,
      maxQueuedBackendRequests: 256,
      listRefreshIntervalMs: 1000,
      maxSessionsPerCaller: 32,
      initializePerMinute: 60,
      initializeBurst: 20,
      maxModernRequestsPerCaller: 64,
      loopbackCallers: "auto",
      maxClientInfoBytes: 16384,
      maxMetadataValueBytes: 16384,
      maxMetadataBytes: 65536,
      serverRequestTimeoutMs: 60000,
      answerAckTimeoutMs: 2000,
      maxPendingServerRequests: 32,
      maxInputRounds: 8,
      streamHeartbeatMs: 15000,
      maxStreamBufferBytes: 1048576,
    });
  });

  it("reads each limit from its env variable and flag (flags win), keeping the other defaults", async () => {
    const config = await loadGatewayConfig({
      env: { VMCP_MAX_BATCH_LENGTH: "10", VMCP_INITIALIZE_BURST: "4" },
      flags: { "max-batch-length": "20", "max-queued-backend-requests": "0" },
    });
    expect(config.limits).toMatchObject({
      maxBatchLength: 20,
      initializeBurst: 4,
      maxQueuedBackendRequests: 0,
      maxConcurrentBackendRequests: 16,
    });
  });

  it("names a bad limit", async () => {
    await expect(loadGatewayConfig({ flags: { "max-batch-length": "0" } })).rejects.toMatchObject({
      field: "limits.maxBatchLength",
    });
    await expect(
      loadGatewayConfig({ env: { VMCP_MAX_CLIENT_INFO_BYTES: "lots" } }),
    ).rejects.toMatchObject({ field: "limits.maxClientInfoBytes" });
    await expect(
      loadGatewayConfig({ flags: { "loopback-callers": "never" } }),
    ).rejects.toMatchObject({
      field: "limits.loopbackCallers",
      message: expect.stringMatching(/"auto"\|"exempt"\|"limited"/),
    });
  });
});
