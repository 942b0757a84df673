/**
 * `ListenFanIn.hold`: the replica's one listen per modern backend kept open without a listen
 * stream (for its 2025-era sessions that reach modern backends), each change handed on with its
 * backend, closed after the idle delay once the last hold is released. A real SDK v2 backend.
 */
import type { ServerEvent } from "@modelcontextprotocol/server";
import { waitUntil } from "@vmcp/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeEra } from "../dist/http/mcp-2026-07-28/backends/era-probe.js";
import { ListenFanIn } from "../dist/http/mcp-2026-07-28/listen/listen-fan-in.js";
import { createLogger } from "../dist/logger.js";
import { type ModernBackendFixture, startModernBackend } from "./helpers/modern-backends.js";

describe("ListenFanIn.hold", () => {
  let backend: ModernBackendFixture;
  beforeAll(async () => {
    backend = await startModernBackend("modern-h", { legacy: "reject", changes: true });
  });
  afterAll(async () => {
    await backend?.close();
  });

  it("keeps the backend listen open while held, hands each change on with its backend, and closes it once idle", async () => {
    const verdict = await probeEra({ url: backend.url }, 2_000);
    if (verdict.kind !== "modern") throw new Error("the fixture is a modern backend");
    const set = {
      backends: [{ workloadId: "modern-h", url: backend.url, discover: verdict.discover, verdict }],
      key: "one",
    };
    const delivered: ServerEvent[] = [];
    const handed: [string, ServerEvent][] = [];
    const fanIn = new ListenFanIn({
      backends: { current: async () => set },
      deliver: (event) => delivered.push(event),
      onBackendEvent: (workloadId, event) => handed.push([workloadId, event]),
      maxResourceSubscriptions: 8,
      ackTimeoutMs: 2_000,
      retryInitialDelayMs: 50,
      retryMaxDelayMs: 200,
      setCheckIntervalMs: 1_000,
      idleCloseMs: 100,
      log: createLogger("silent"),
    });
    try {
      const release = await fanIn.hold();
      const again = await fanIn.hold();
      expect(backend.openListens()).toBe(1);
      // A hold is no listen stream (maxSubscriptions counts streams only).
      expect(fanIn.streams).toBe(0);

      backend.notify.toolsChanged();
      await waitUntil(() => handed.length === 1, 2_000, "the change handed on");
      expect(handed).toEqual([["modern-h", { kind: "tools_list_changed" }]]);
      expect(delivered).toEqual([{ kind: "tools_list_changed" }]);

      release();
      release();
      // One hold left: still listening after the idle delay.
      await new Promise((r) => setTimeout(r, 200));
      expect(backend.openListens()).toBe(1);
      again();
      await waitUntil(() => backend.openListens() === 0, 2_000, "the backend listen closed");
    } finally {
      await fanIn.close();
    }
  });
});
