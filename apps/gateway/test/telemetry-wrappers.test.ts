/**
 * session-core's telemetry wrappers with a real SDK meter and tracer provider registered here:
 * `instrumentBus` over a trivial in-test bus, and `instrumentStorage` over the memory store and
 * over a store that is down.
 */
import { metrics as metricsApi, SpanStatusCode, trace } from "@opentelemetry/api";
import { metrics, tracing } from "@opentelemetry/sdk-node";
import {
  type BusMessageHandler,
  type BusSubscription,
  instrumentBus,
  instrumentStorage,
  type SessionMessageBus,
  type SessionStorage,
  StorageUnavailableError,
} from "@vmcp/session-core";
import { MemoryStorage } from "@vmcp/store-memory";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

class TestReader extends metrics.MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const reader = new TestReader();
const spans = new tracing.InMemorySpanExporter();
const meterProvider = new metrics.MeterProvider({ readers: [reader] });
const tracerProvider = new tracing.BasicTracerProvider({
  spanProcessors: [new tracing.SimpleSpanProcessor(spans)],
});

beforeAll(() => {
  metricsApi.setGlobalMeterProvider(meterProvider);
  trace.setGlobalTracerProvider(tracerProvider);
});
afterAll(async () => {
  metricsApi.disable();
  trace.disable();
  await meterProvider.shutdown();
  await tracerProvider.shutdown();
});
beforeEach(() => spans.reset());

/** The summed value of counter `name` over the points whose attributes include `match`. */
async function counter(name: string, match: Record<string, string> = {}): Promise<number> {
  const { resourceMetrics } = await reader.collect();
  let total = 0;
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name !== name) continue;
      for (const point of metric.dataPoints) {
        const fits = Object.entries(match).every(([k, v]) => point.attributes[k] === v);
        if (fits && typeof point.value === "number") total += point.value;
      }
    }
  }
  return total;
}

/** An in-process bus of the test's own: delivers on a later turn, refuses `down` sessions. */
class TinyBus implements SessionMessageBus {
  readonly #handlers = new Map<string, Set<BusMessageHandler>>();

  async publish(sessionId: string, message: string): Promise<void> {
    if (sessionId === "down") throw new Error("bus down");
    for (const handler of this.#handlers.get(sessionId) ?? []) {
      setImmediate(() => handler(message));
    }
  }

  async subscribe(sessionId: string, onMessage: BusMessageHandler): Promise<BusSubscription> {
    if (sessionId === "down") throw new Error("bus down");
    const set = this.#handlers.get(sessionId) ?? new Set();
    set.add(onMessage);
    this.#handlers.set(sessionId, set);
    return { sessionId, unsubscribe: async () => void set.delete(onMessage) };
  }

  async close(): Promise<void> {
    this.#handlers.clear();
  }
}

describe("instrumentBus", () => {
  it("counts published and delivered messages and failed calls, in a publish span, passing messages unchanged", async () => {
    const bus = instrumentBus(new TinyBus());
    expect(instrumentBus(bus)).toBe(bus);
    const got: string[] = [];
    await bus.subscribe("s1", (m) => got.push(m));
    await bus.subscribe("s1", (m) => got.push(`second:${m}`));
    await bus.publish("s1", "hello");
    await new Promise((resolve) => setImmediate(resolve));
    expect(got.sort()).toEqual(["hello", "second:hello"]);
    await expect(bus.publish("down", "x")).rejects.toThrow("bus down");
    await expect(bus.subscribe("down", () => undefined)).rejects.toThrow("bus down");

    expect(await counter("vmcp.bus.messages.published")).toBe(1);
    expect(await counter("vmcp.bus.messages.delivered")).toBe(2);
    expect(await counter("vmcp.bus.errors", { "vmcp.bus.operation": "publish" })).toBe(1);
    expect(await counter("vmcp.bus.errors", { "vmcp.bus.operation": "subscribe" })).toBe(1);
    const published = spans.getFinishedSpans().filter((s) => s.name === "vmcp.bus.publish");
    expect(published.map((s) => s.attributes["mcp.session.id"])).toEqual(["s1", "down"]);
    expect(published[1]?.status.code).toBe(SpanStatusCode.ERROR);
    await bus.close();
  });
});

describe("instrumentStorage", () => {
  it("records a span and a duration per operation of any store, and counts the errors of a store that is down by their typed code", async () => {
    const memory = instrumentStorage(new MemoryStorage());
    expect(instrumentStorage(memory)).toBe(memory);
    await memory.create({ id: "a", metadata: {} });
    expect(await memory.load("a")).toBeDefined();
    await memory.close();

    class DownStorage extends MemoryStorage {
      override load(): Promise<undefined> {
        return Promise.reject(new StorageUnavailableError("the store is down"));
      }
    }
    const down: SessionStorage = new DownStorage();
    const failing = instrumentStorage(down);
    await expect(failing.load("a")).rejects.toBeInstanceOf(StorageUnavailableError);
    await down.close();

    const names = spans.getFinishedSpans().map((s) => s.name);
    expect(names).toEqual(["vmcp.storage.create", "vmcp.storage.load", "vmcp.storage.load"]);
    const failed = spans.getFinishedSpans()[2];
    expect(failed?.attributes["error.type"]).toBe("VMCP_STORAGE_UNAVAILABLE");
    expect(
      await counter("vmcp.storage.errors", {
        "vmcp.storage.operation": "load",
        "error.type": "VMCP_STORAGE_UNAVAILABLE",
      }),
    ).toBe(1);
    const { resourceMetrics } = await reader.collect();
    const durations = resourceMetrics.scopeMetrics
      .flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === "vmcp.storage.operation.duration");
    expect(durations?.descriptor.unit).toBe("s");
    expect(durations?.dataPoints.map((p) => p.attributes["vmcp.storage.operation"]).sort()).toEqual(
      ["create", "load", "load"],
    );
  });
});
