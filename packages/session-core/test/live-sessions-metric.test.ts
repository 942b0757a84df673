/**
 * `vmcp.sessions.live` counts every `SessionManager` of the process (a gateway holds two: client
 * sessions and pooled backend sessions): one observation of the sum per collection, since a
 * second observation of the same attributes would replace the first.
 */
import * as api from "@opentelemetry/api";
import { SessionInstrumentNames } from "@vmcp/session-core";
import { ReferenceStorage } from "@vmcp/session-core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { FakeConnector } from "./test-connector.js";
import { managerOver } from "./test-manager.js";

/** A meter provider that keeps the callbacks of `vmcp.sessions.live`, so a test can collect. */
function liveMeterProvider(): { provider: api.MeterProvider; collect(): number[] } {
  const callbacks = new Set<api.ObservableCallback>();
  const noop = { add: () => undefined, record: () => undefined };
  const meter = {
    createHistogram: () => noop,
    createCounter: () => noop,
    createObservableUpDownCounter: (name: string) => ({
      addCallback: (callback: api.ObservableCallback) => {
        if (name === SessionInstrumentNames.sessionsLive) callbacks.add(callback);
      },
      removeCallback: (callback: api.ObservableCallback) => callbacks.delete(callback),
    }),
  } as unknown as api.Meter;
  return {
    provider: { getMeter: () => meter },
    collect: () => {
      const observed: number[] = [];
      const result = { observe: (value: number) => observed.push(value) };
      for (const callback of callbacks) void callback(result as api.ObservableResult);
      return observed;
    },
  };
}

describe("vmcp.sessions.live", () => {
  afterEach(() => {
    api.metrics.disable();
  });

  it("is one observation of every manager's live sessions, and a closed manager leaves it", async () => {
    const meters = liveMeterProvider();
    api.metrics.setGlobalMeterProvider(meters.provider);
    const storage = new ReferenceStorage();
    const connector = new FakeConnector();
    const sessions = managerOver(storage, connector, ["alpha"]);
    const pooled = managerOver(storage, connector, ["alpha"]);
    await sessions.create();
    await sessions.create();
    await pooled.create();
    expect(meters.collect()).toEqual([3]);
    await sessions.close();
    expect(meters.collect()).toEqual([1]);
    await pooled.close();
    expect(meters.collect()).toEqual([0]);
  });
});
