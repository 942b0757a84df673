/**
 * `traceBackendRequest`, the public client span of a backend request sent outside a session:
 * without a registered SDK the params reach `send` untouched; with a tracer provider and a
 * propagator registered, the request gets a CLIENT span and its context replaces the trace keys
 * of `_meta`, other keys kept.
 */
import * as api from "@opentelemetry/api";
import { traceBackendRequest } from "@vmcp/session-core";
import { afterEach, describe, expect, it } from "vitest";

const TraceId = "0af7651916cd43dd8448eb211c80319c";
const SpanId = "b7ad6b7169203331";

/** A tracer provider whose spans carry a sampled, valid context; it keeps each span's name and kind. */
function recordingProvider(): {
  provider: api.TracerProvider;
  started: { name: string; kind: api.SpanKind | undefined }[];
} {
  const started: { name: string; kind: api.SpanKind | undefined }[] = [];
  const tracer = {
    startSpan(name: string, options?: api.SpanOptions): api.Span {
      started.push({ name, kind: options?.kind });
      return api.trace.wrapSpanContext({
        traceId: TraceId,
        spanId: SpanId,
        traceFlags: api.TraceFlags.SAMPLED,
      });
    },
  } as api.Tracer;
  return { provider: { getTracer: () => tracer }, started };
}

/** Writes the active span's context as a W3C `traceparent`, as the SDK's propagator does. */
const traceparentPropagator: api.TextMapPropagator = {
  inject(context, carrier, setter) {
    const span = api.trace.getSpanContext(context);
    if (span === undefined) return;
    setter.set(carrier, "traceparent", `00-${span.traceId}-${span.spanId}-01`);
  },
  extract: (context) => context,
  fields: () => ["traceparent"],
};

const info = (params: Record<string, unknown>) => ({
  workloadId: "w",
  method: "tools/call",
  params,
  backendSessionId: "",
  protocolVersion: "2026-07-28",
});

afterEach(() => {
  api.trace.disable();
  api.propagation.disable();
});

describe("traceBackendRequest", () => {
  it("without a registered SDK hands send the params as they are and returns its result", async () => {
    const params = { name: "echo", _meta: { traceparent: "from-the-client", keep: 1 } };
    let sent: unknown;
    const result = await traceBackendRequest(info(params), async (p) => {
      sent = p;
      return { ok: true };
    });
    expect(sent).toBe(params);
    expect(result).toEqual({ ok: true });
  });

  it("with a tracer provider and a propagator: a CLIENT span, its context in _meta instead of the client's", async () => {
    const { provider, started } = recordingProvider();
    api.trace.setGlobalTracerProvider(provider);
    api.propagation.setGlobalPropagator(traceparentPropagator);
    const params = { name: "echo", _meta: { traceparent: "from-the-client", keep: 1 } };
    let sent: Record<string, unknown> | undefined;
    await traceBackendRequest(info(params), async (p) => {
      sent = p;
      return {};
    });
    expect(started).toEqual([{ name: "tools/call echo", kind: api.SpanKind.CLIENT }]);
    expect(sent).toEqual({
      name: "echo",
      _meta: { traceparent: `00-${TraceId}-${SpanId}-01`, keep: 1 },
    });
    // The caller's params are not changed.
    expect(params._meta.traceparent).toBe("from-the-client");
  });

  it("rethrows what send throws", async () => {
    const failure = Object.assign(new Error("refused"), { code: -32602 });
    await expect(
      traceBackendRequest(info({ name: "echo" }), () => Promise.reject(failure)),
    ).rejects.toBe(failure);
  });
});
