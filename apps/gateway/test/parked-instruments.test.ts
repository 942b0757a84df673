/**
 * The parked-call instruments on their own (the end-to-end park-timeout case is in
 * telemetry-modern.e2e.test.ts): `vmcp.calls.parked` follows the replica's table, and
 * `vmcp.calls.parked.lost` counts each way a parked call is lost, read through the OpenTelemetry
 * SDK the gateway registers (`startTelemetry`) with a metric reader of this file's own.
 */

import { metrics } from "@opentelemetry/sdk-node";
import { InProcessMessageBus } from "@vmcp/store-memory";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CallSink } from "../dist/http/mcp-2026-07-28/parked/call-sink.js";
import { ParkableCall } from "../dist/http/mcp-2026-07-28/parked/parkable-call.js";
import { ParkedCallRouter } from "../dist/http/mcp-2026-07-28/parked/parked-call-router.js";
import { ParkedCalls } from "../dist/http/mcp-2026-07-28/parked/parked-calls.js";
import { createLogger } from "../dist/logger.js";
import { type RunningTelemetry, startTelemetry } from "../dist/telemetry/start-telemetry.js";

/** A reader the test collects from when it wants. */
class CollectingReader extends metrics.MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const log = createLogger("silent", { destination: { write: () => undefined } });
const times = {
  callTimeoutMs: 5_000,
  parkTimeoutMs: 5_000,
  batchMs: 5,
  maxBufferedNotifications: 2,
};
const capabilities = { elicitation: { form: {} }, sampling: {}, roots: {} };
const sink = (): CallSink => ({
  notify: () => undefined,
  logs: false,
  signal: new AbortController().signal,
});

let reader: CollectingReader;
let telemetry: RunningTelemetry | undefined;
beforeEach(() => {
  reader = new CollectingReader();
  telemetry = startTelemetry({ metrics: true, metricReaders: [reader] });
});
afterEach(async () => {
  await telemetry?.shutdown();
});

/** Each data point of instrument `name`, as `value` keyed by its `vmcp.loss.reason` (or `""`). */
async function points(name: string): Promise<Record<string, number>> {
  const { resourceMetrics } = await reader.collect();
  const found: Record<string, number> = {};
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name !== name) continue;
      for (const point of metric.dataPoints) {
        found[String(point.attributes["vmcp.loss.reason"] ?? "")] = point.value as number;
      }
    }
  }
  return found;
}

/** A call of `lot` parked on one `roots/list` round (its backend call never ends by itself). */
async function parkOne(lot: ParkedCalls, parkTimeoutMs = times.parkTimeoutMs): Promise<void> {
  const call = new ParkableCall({ ...times, parkTimeoutMs, workloadId: "w", capabilities, lot });
  const round = call.start(() => new Promise(() => undefined), sink());
  void call.input({ method: "roots/list" }, new AbortController().signal).catch(() => undefined);
  expect(await round).toMatchObject({ resultType: "input_required" });
}

describe("the parked-call instruments", () => {
  it("vmcp.calls.parked follows the table; a replica closing on its calls counts them lost", async () => {
    const lot = new ParkedCalls(4);
    await parkOne(lot);
    await parkOne(lot);
    expect(await points("vmcp.calls.parked")).toEqual({ "": 2 });
    lot.close();
    expect(await points("vmcp.calls.parked")).toEqual({ "": 0 });
    expect(await points("vmcp.calls.parked.lost")).toEqual({ replica_closing: 2 });
  });

  it("a call not retried within the park timeout is lost as park_timeout", async () => {
    const lot = new ParkedCalls(4);
    await parkOne(lot, 30);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(lot.size).toBe(0);
    expect(await points("vmcp.calls.parked")).toEqual({ "": 0 });
    expect(await points("vmcp.calls.parked.lost")).toEqual({ park_timeout: 1 });
  });

  it("a retry whose holder never answers counts the call lost as holder_gone", async () => {
    const bus = new InProcessMessageBus();
    const router = new ParkedCallRouter({
      bus,
      calls: new ParkedCalls(4),
      ackTimeoutMs: 50,
      heartbeatMs: 20,
      missedHeartbeats: 2,
      log,
    });
    try {
      await router.start();
      const resumed = router.resume(
        { replicaId: "nobody", callId: "c" },
        {
          workloadId: "w",
          inputResponses: {},
          notify: async () => {},
          logs: false,
          signal: new AbortController().signal,
        },
      );
      await expect(resumed).rejects.toMatchObject({ code: "VMCP_PARKED_CALL_GONE" });
      expect(await points("vmcp.calls.parked.lost")).toEqual({ holder_gone: 1 });
    } finally {
      await router.close();
      await bus.close();
    }
  });
});
