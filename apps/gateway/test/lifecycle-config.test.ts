import { describe, expect, it } from "vitest";
import { loadGatewayConfig } from "../dist/config/load-config.js";

describe("gateway configuration: idle sessions, backend retry, stdio processes", () => {
  it("has safe defaults", async () => {
    const config = await loadGatewayConfig({});
    expect(config.idleTimeoutMs).toBe(300_000);
    expect(config.backendRetryInitialDelayMs).toBe(500);
    expect(config.backendRetryMaxDelayMs).toBe(10_000);
    expect(config.backendRetryWaitMs).toBe(250);
    expect(config.stdioStopGraceMs).toBe(2_000);
  });

  it("reads flags over env", async () => {
    const config = await loadGatewayConfig({
      env: {
        VMCP_IDLE_TIMEOUT_MS: "60000",
        VMCP_BACKEND_RETRY_INITIAL_DELAY_MS: "100",
        VMCP_BACKEND_RETRY_MAX_DELAY_MS: "5000",
        VMCP_BACKEND_RETRY_WAIT_MS: "0",
        VMCP_STDIO_STOP_GRACE_MS: "300",
      },
      flags: { "idle-timeout-ms": "0", "backend-retry-max-delay-ms": "2000" },
    });
    expect(config).toMatchObject({
      idleTimeoutMs: 0,
      backendRetryInitialDelayMs: 100,
      backendRetryMaxDelayMs: 2_000,
      backendRetryWaitMs: 0,
      stdioStopGraceMs: 300,
    });
  });

  it("refuses bad values, naming the field", async () => {
    const field = async (flags: Record<string, string>) =>
      loadGatewayConfig({ flags }).then(
        () => "accepted",
        (error: unknown) => (error as { field: string }).field,
      );
    expect(await field({ "idle-timeout-ms": "-1" })).toBe("idleTimeoutMs");
    expect(await field({ "backend-retry-initial-delay-ms": "0" })).toBe(
      "backendRetryInitialDelayMs",
    );
    expect(
      await field({ "backend-retry-initial-delay-ms": "800", "backend-retry-max-delay-ms": "700" }),
    ).toBe("backendRetryMaxDelayMs");
    expect(await field({ "stdio-stop-grace-ms": "soon" })).toBe("stdioStopGraceMs");
  });
});
