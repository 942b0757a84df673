/**
 * `ListenFanIn.follow`: a 2025-era session's subscription to a modern backend's resource makes the
 * replica's one listen on the backend follow its URI, refcounted with the listen streams' URIs
 * and under the same `maxResourceSubscriptions`, without counting as a listen stream; released,
 * the URI leaves the backend listen even when nothing else keeps the fan-in interested. A real
 * SDK v2 backend.
 */
import type { ServerEvent } from "@modelcontextprotocol/server";
import { waitUntil } from "@vmcp/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeEra } from "../dist/http/mcp-2026-07-28/backends/era-probe.js";
import { ListenFanIn } from "../dist/http/mcp-2026-07-28/listen/listen-fan-in.js";
import { createLogger } from "../dist/logger.js";
import { type ModernBackendFixture, startModernBackend } from "./helpers/modern-backends.js";

describe("ListenFanIn.follow", () => {
  let backend: ModernBackendFixture;
  beforeAll(async () => {
    backend = await startModernBackend("modern-f", { legacy: "reject", changes: true });
  });
  afterAll(async () => {
    await backend?.close();
  });

  it("follows a URI on the backend listen until the last of its follows and streams is released, within the URI bound", async () => {
    const verdict = await probeEra({ url: backend.url }, 2_000);
    if (verdict.kind !== "modern") throw new Error("the fixture is a modern backend");
    const set = {
      backends: [{ workloadId: "modern-f", url: backend.url, discover: verdict.discover, verdict }],
      key: "one",
    };
    const handed: [string, ServerEvent][] = [];
    const fanIn = new ListenFanIn({
      backends: { current: async () => set },
      deliver: () => undefined,
      onBackendEvent: (workloadId, event) => handed.push([workloadId, event]),
      maxResourceSubscriptions: 2,
      ackTimeoutMs: 2_000,
      retryInitialDelayMs: 50,
      retryMaxDelayMs: 200,
      setCheckIntervalMs: 1_000,
      uriReleaseDelayMs: 50,
      idleCloseMs: 5_000,
      log: createLogger("silent"),
    });
    try {
      const a = await fanIn.follow(["modern-f://a"]);
      if (a.kind !== "opened") throw new Error("one URI is within the bound");
      // A follow is no listen stream (maxSubscriptions counts streams only).
      expect(fanIn.streams).toBe(0);
      expect(backend.listenedUris()).toEqual(["modern-f://a"]);
      backend.notify.resourceUpdated("modern-f://a");
      await waitUntil(() => handed.length === 1, 2_000, "the update handed on");
      expect(handed).toEqual([["modern-f", { kind: "resource_updated", uri: "modern-f://a" }]]);

      // A listen stream on the same URI shares it; a second URI reaches the bound of two.
      const stream = await fanIn.open(["modern-f://a", "modern-f://b"]);
      if (stream.kind !== "opened") throw new Error("two URIs are within the bound");
      expect(fanIn.followedUris).toBe(2);
      expect(await fanIn.follow(["modern-f://c"])).toEqual({ kind: "limit" });
      expect(fanIn.followedUris).toBe(2);

      stream.release();
      // The stream's b leaves; a is still followed.
      await waitUntil(
        () => backend.listenedUris().join() === "modern-f://a",
        2_000,
        "b dropped from the backend listen",
      );
      a.release();
      a.release();
      expect(fanIn.followedUris).toBe(0);
      // Nothing keeps the fan-in interested now: its listen still drops the URI at once.
      await waitUntil(
        () => backend.openListens() === 1 && backend.listenedUris().length === 0,
        2_000,
        "a dropped from the backend listen",
      );
    } finally {
      await fanIn.close();
    }
  });
});
