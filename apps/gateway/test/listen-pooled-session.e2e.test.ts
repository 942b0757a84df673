/**
 * A `subscriptions/listen` stream takes its caller's pooled backend session only to learn what
 * the 2025-era backends declare: one gateway (memory store, anonymous callers) in front of an
 * SDK v1 backend declaring `tools.listChanged`. The stream honours the backend's list changes,
 * and the anonymous caller's per-request backend session ends when the stream is acknowledged,
 * not when it closes.
 */
import { startMcpBackend, type TestBackend, waitUntil } from "@vmcp/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeGrowingServer } from "./helpers/growing-backends.js";
import { type LoggedGateway, startLoggedGateway } from "./helpers/in-process.js";
import { openListenStream } from "./helpers/listen-streams.js";

describe("a listen stream and the pooled backend sessions", () => {
  let legacy: TestBackend;
  let gateway: LoggedGateway;

  beforeAll(async () => {
    legacy = await startMcpBackend("legacy-l", { makeServer: makeGrowingServer });
    gateway = await startLoggedGateway({
      backends: [{ workloadId: "legacy-l", url: legacy.url }],
    });
  });

  afterAll(async () => {
    await gateway?.close();
    await legacy?.close();
  });

  it("honours the 2025-era backend's listChanged, and an anonymous caller's backend session ends once the stream is acknowledged", async () => {
    const stream = await openListenStream(gateway.url, { toolsListChanged: true });
    try {
      expect(stream.subscription.honoredFilter).toEqual({ toolsListChanged: true });
      // discover's and the listen's own per-request sessions were both made, and both ended.
      expect(legacy.initializeCount).toBeGreaterThanOrEqual(2);
      await waitUntil(() => legacy.sessionIds.length === 0, 2_000, "no backend session left");
      expect(stream.heard).toEqual([]);
    } finally {
      await stream.close();
    }
  });
});
