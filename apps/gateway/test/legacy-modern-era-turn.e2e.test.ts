/**
 * Issue 21, part 3: a 2025-era client session holds a modern backend without a backend session;
 * when that backend's address starts answering as a 2025-era (SDK v1) server, the session's
 * recovery probes it again, connects it with `initialize` and writes the new backend session
 * back, and the call is served. The backend's address is a proxy (the round-robin proxy with
 * one side down) in front of a modern-only SDK v2 backend and an SDK v1 one.
 */
import { backendSessionKey, MetadataKeyBackendIds } from "@vmcp/session-keys";
import type { TestBackend } from "@vmcp/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LoggedGateway, startLoggedGateway } from "./helpers/in-process.js";
import { connectLegacyV2Client } from "./helpers/legacy-v2-client.js";
import { startV1MatrixBackend } from "./helpers/matrix-backends.js";
import { resultText } from "./helpers/mcp-client.js";
import { type ModernBackendFixture, startModernBackend } from "./helpers/modern-backends.js";
import { type RoundRobinProxy, startRoundRobinProxy } from "./helpers/round-robin-proxy.js";

const baseOf = (mcpUrl: string) => mcpUrl.replace(/\/mcp$/, "");

describe("a modern backend that turns 2025-era under a 2025-era session", () => {
  let modern: ModernBackendFixture;
  let v1: TestBackend;
  let address: RoundRobinProxy;
  let gateway: LoggedGateway;

  beforeAll(async () => {
    [modern, v1] = await Promise.all([
      startModernBackend("turn", { legacy: "reject" }),
      startV1MatrixBackend("turn"),
    ]);
    address = await startRoundRobinProxy([baseOf(modern.url), baseOf(v1.url)]);
    address.setDown(1, true);
    gateway = await startLoggedGateway({
      bindingSecret: "era-turn-binding-secret-0123456789",
      backends: [{ workloadId: "turn", url: `${address.url}/mcp` }],
    });
  });

  afterAll(async () => {
    await gateway?.close();
    await address?.close();
    await Promise.all([modern?.close(), v1?.close()]);
  });

  it("is reached statelessly, then, once it answers as SDK v1, through a backend session the recovery made and wrote back", async () => {
    const legacy = await connectLegacyV2Client(gateway.url);
    try {
      const sessionId = legacy.transport.sessionId ?? "";
      const stored = async () => (await gateway.gateway.storage.load(sessionId))?.metadata ?? {};
      const call = () =>
        legacy.client.request({
          method: "tools/call",
          params: { name: "turn_steps", arguments: { count: 2 } },
        });

      expect(resultText(await call())).toBe("2 steps done");
      expect(modern.methods.get("tools/call")).toBe(1);
      expect(await stored()).toMatchObject({
        [MetadataKeyBackendIds]: "turn",
        [backendSessionKey("turn")]: "",
      });

      // The address now answers as a 2025-era server only.
      address.setDown(1, false);
      address.setDown(0, true);
      expect(resultText(await call())).toBe("2 steps done");
      expect(v1.methods.get("initialize")).toBeGreaterThanOrEqual(1);
      // The 2026-07-28 request it refused (no session), then the same call in the new session.
      expect(v1.methods.get("tools/call")).toBe(2);
      expect(modern.methods.get("tools/call")).toBe(1);
      const metadata = await stored();
      expect(metadata[MetadataKeyBackendIds]).toBe("turn");
      expect(metadata[backendSessionKey("turn")]).not.toBe("");

      // Served through that backend session from now on.
      expect(resultText(await call())).toBe("2 steps done");
      expect(v1.methods.get("tools/call")).toBe(3);
    } finally {
      await legacy.close();
    }
  });
});
