/**
 * Tracing and metrics of 2026-07-28 requests, end to end: an SDK v2 client pinned to 2026-07-28,
 * the gateway over real HTTP with the OpenTelemetry Node SDK registered (an in-memory span
 * exporter, the Prometheus exporter on `/metrics`), and real backends: a modern SDK v2 one
 * (reached statelessly), a 2025-era SDK v1 one of this file's own that records the trace context
 * it gets (reached through a pooled backend session), and a 2025-era one that asks for input
 * mid-call (its call parked).
 */
import type { Client } from "@modelcontextprotocol/client";
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { tracing } from "@opentelemetry/sdk-node";
import { waitUntil } from "@vmcp/test-support";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { validateGatewayConfig } from "../dist/config/load-config.js";
import { type RunningBackend, serveBackendHttp } from "../dist/demo-backends/serve-backend.js";
import { type RunningGateway, startGateway } from "../dist/gateway.js";
import { createLogger } from "../dist/logger.js";
import { type ModernBackendFixture, startModernBackend } from "./helpers/modern-backends.js";
import { connectModernClient } from "./helpers/modern-client.js";
import { type ParkBackend, startParkBackend } from "./helpers/park-backends.js";
import {
  ClientSpanId,
  ClientTraceId,
  ClientTraceparent,
  parseTraceparent,
  type Seen,
  traceProbeServer,
} from "./helpers/trace-probe.js";

type Result = Record<string, unknown>;

const ParkTimeoutMs = 1_500;

const seen: Seen[] = [];
let legacy: RunningBackend;
let modern: ModernBackendFixture;
let park: ParkBackend;

beforeAll(async () => {
  [legacy, modern, park] = await Promise.all([
    serveBackendHttp(() => traceProbeServer("legacy-probe", seen)),
    startModernBackend("mod", { legacy: "reject" }),
    startParkBackend("web"),
  ]);
});
afterAll(async () => {
  await Promise.all([legacy?.close(), modern?.close(), park?.close()]);
});

function start(raw: Record<string, unknown>, spans?: tracing.InMemorySpanExporter) {
  const config = validateGatewayConfig({
    port: 0,
    logLevel: "silent",
    modern: { parkTimeoutMs: ParkTimeoutMs },
    backends: [
      { workloadId: "legacy", url: legacy.url },
      { workloadId: "mod", url: modern.url },
      { workloadId: "web", url: park.url },
    ],
    ...raw,
  });
  return startGateway(
    config,
    createLogger("silent"),
    spans === undefined
      ? {}
      : { telemetry: { spanProcessors: [new tracing.SimpleSpanProcessor(spans)] } },
  );
}

/** A `tools/call` of the exposed tool whose name ends with `tool`, as the client sends it. */
async function call(client: Client, tool: string, extra: Result = {}): Promise<Result> {
  const { tools } = await client.listTools();
  const name = tools.map((t) => t.name).find((n) => n === tool || n.endsWith(`__${tool}`));
  if (name === undefined) throw new Error(`no tool ${tool}: ${tools.map((t) => t.name)}`);
  return (await client.request(
    { method: "tools/call", params: { name, arguments: {}, ...extra } },
    { allowInputRequired: true },
  )) as Result;
}

function spanNamed(
  spans: tracing.InMemorySpanExporter,
  kind: SpanKind,
  suffix: string,
): tracing.ReadableSpan {
  const finished = spans.getFinishedSpans();
  const found = finished.filter((s) => s.kind === kind && s.name.endsWith(suffix));
  if (found.length !== 1) {
    throw new Error(
      `${found.length} ${SpanKind[kind]} spans ${suffix}: ${finished.map((s) => s.name)}`,
    );
  }
  return found[0] as tracing.ReadableSpan;
}

describe("2026-07-28 requests with tracing and metrics on", () => {
  const spans = new tracing.InMemorySpanExporter();
  let gateway: RunningGateway;
  let client: Client;

  beforeAll(async () => {
    gateway = await start({ tracing: true, metrics: true }, spans);
    client = await connectModernClient(gateway.url);
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.close();
  });
  afterEach(() => {
    spans.reset();
    seen.length = 0;
  });

  it("carries the client's trace to a modern backend in _meta and the HTTP headers, under the gateway's server and client spans", async () => {
    await client.listTools();
    spans.reset();
    const before = modern.callMetas.length;
    const result = await call(client, "echo", {
      arguments: { text: "hi" },
      _meta: { traceparent: ClientTraceparent },
    });
    expect(result.content).toEqual([{ type: "text", text: "mod: hi" }]);

    const server = spanNamed(spans, SpanKind.SERVER, "echo");
    const backendCall = spanNamed(spans, SpanKind.CLIENT, "tools/call echo");
    // client -> gateway server span -> gateway client span -> backend
    expect(server.spanContext().traceId).toBe(ClientTraceId);
    expect(server.parentSpanContext?.spanId).toBe(ClientSpanId);
    expect(backendCall.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    expect(modern.callMetas).toHaveLength(before + 1);
    const viaMeta = parseTraceparent(modern.callMetas.at(-1)?.traceparent);
    const viaHeader = parseTraceparent(modern.callTraceparents.at(-1));
    expect(viaMeta).toEqual({ traceId: ClientTraceId, spanId: backendCall.spanContext().spanId });
    expect(viaHeader).toEqual(viaMeta);

    expect(server.attributes).toMatchObject({
      "mcp.method.name": "tools/call",
      "mcp.protocol.version": "2026-07-28",
      "gen_ai.operation.name": "execute_tool",
      "network.transport": "tcp",
      "network.protocol.name": "http",
    });
    expect(server.name).toBe(`tools/call ${server.attributes["gen_ai.tool.name"]}`);
    expect(typeof server.attributes["jsonrpc.request.id"]).toBe("string");
    expect(server.attributes["mcp.session.id"]).toBeUndefined();
    expect(server.attributes["error.type"]).toBeUndefined();
    expect(server.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(backendCall.attributes).toMatchObject({
      "mcp.method.name": "tools/call",
      "vmcp.workload.id": "mod",
      "gen_ai.tool.name": "echo",
      "mcp.protocol.version": "2026-07-28",
    });
  });

  it("carries the client's trace to a 2025-era backend through its pooled session, under the gateway's server and client spans", async () => {
    await client.listTools();
    spans.reset();
    await call(client, "probe", { _meta: { traceparent: ClientTraceparent } });

    const server = spanNamed(spans, SpanKind.SERVER, "probe");
    const backendCall = spanNamed(spans, SpanKind.CLIENT, "tools/call probe");
    expect(server.spanContext().traceId).toBe(ClientTraceId);
    expect(server.parentSpanContext?.spanId).toBe(ClientSpanId);
    expect(backendCall.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    expect(seen).toHaveLength(1);
    const got = seen[0] as Seen;
    const viaMeta = parseTraceparent(got.meta?.traceparent);
    expect(viaMeta).toEqual({ traceId: ClientTraceId, spanId: backendCall.spanContext().spanId });
    expect(parseTraceparent(got.traceparentHeader)).toEqual(viaMeta);
    expect(server.attributes["mcp.protocol.version"]).toBe("2026-07-28");
    expect(backendCall.attributes["vmcp.workload.id"]).toBe("legacy");
    // The pooled backend session's own ID at the backend.
    expect(backendCall.attributes["mcp.session.id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("takes the parent from the HTTP traceparent header when _meta has none", async () => {
    const headerTrace = "0af7651916cd43dd8448eb211c80319c";
    const headerSpan = "b7ad6b7169203331";
    const traced = await connectModernClient(gateway.url);
    try {
      const { tools } = await traced.listTools();
      const name = tools.map((t) => t.name).find((n) => n.endsWith("echo")) as string;
      spans.reset();
      await traced.request(
        { method: "tools/call", params: { name, arguments: { text: "h" } } },
        { headers: { traceparent: `00-${headerTrace}-${headerSpan}-01` } },
      );
      const server = spanNamed(spans, SpanKind.SERVER, "echo");
      expect(server.spanContext().traceId).toBe(headerTrace);
      expect(server.parentSpanContext?.spanId).toBe(headerSpan);
    } finally {
      await traced.close();
    }
  });

  it("marks a JSON-RPC error by its code and a tool's own error as tool_error; an input_required round is no error but vmcp.result.type", async () => {
    await client.listTools();
    spans.reset();
    const refused = await client
      .request({ method: "tools/call", params: { name: "nope", arguments: {} } })
      .then(
        () => undefined,
        (error: { code?: unknown }) => error,
      );
    expect(typeof refused?.code).toBe("number");
    const unknown = spanNamed(spans, SpanKind.SERVER, "tools/call nope");
    expect(unknown.attributes).toMatchObject({
      "error.type": String(refused?.code),
      "rpc.response.status_code": String(refused?.code),
    });
    expect(unknown.status.code).toBe(SpanStatusCode.ERROR);

    const broken = await call(client, "broken");
    expect(broken.isError).toBe(true);
    const brokenSpans = spans.getFinishedSpans().filter((s) => s.name.endsWith("broken"));
    expect(brokenSpans.map((s) => s.kind).sort()).toEqual(
      [SpanKind.SERVER, SpanKind.CLIENT].sort(),
    );
    for (const span of brokenSpans) {
      expect(span.attributes["error.type"]).toBe("tool_error");
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
    }

    const round = await call(client, "mod_ask");
    expect(round.resultType).toBe("input_required");
    const asked = spanNamed(spans, SpanKind.SERVER, "mod_ask");
    expect(asked.attributes["vmcp.result.type"]).toBe("input_required");
    expect(asked.attributes["error.type"]).toBeUndefined();
    expect(asked.status.code).not.toBe(SpanStatusCode.ERROR);

    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(text).toMatch(
      /mcp_server_operation_duration_seconds_count\{[^}]*mcp_protocol_version="2026-07-28"[^}]*vmcp_result_type="input_required"[^}]*\} 1/,
    );
    expect(text).toMatch(
      /mcp_server_operation_duration_seconds_count\{[^}]*mcp_protocol_version="2026-07-28"[^}]*error_type="tool_error"/,
    );
    expect(text).toMatch(
      /mcp_client_operation_duration_seconds_count\{[^}]*vmcp_workload_id="mod"[^}]*mcp_protocol_version="2026-07-28"/,
    );
  });

  it("counts a parked call on vmcp.calls.parked while it waits for its retry, and one lost to the park timeout", async () => {
    const parked = () =>
      fetch(`${gateway.url}/metrics`)
        .then((r) => r.text())
        .then((t) => /^vmcp_calls_parked\{[^}]*\} (-?\d+)/m.exec(t)?.[1]);
    const round = await call(client, "nudge");
    expect(round.resultType).toBe("input_required");
    expect(await parked()).toBe("1");
    const nudge = spanNamed(spans, SpanKind.SERVER, "nudge");
    expect(nudge.attributes["vmcp.result.type"]).toBe("input_required");
    const keys = Object.keys(round.inputRequests as Result);
    const done = await call(client, "nudge", {
      requestState: round.requestState,
      inputResponses: Object.fromEntries(
        keys.map((k) => [k, { action: "accept", content: { ok: true } }]),
      ),
    });
    expect(done.content).toEqual([{ type: "text", text: "nudged: accept" }]);
    expect(await parked()).toBe("0");

    // A round never retried: the call is cancelled after the park timeout, and counted lost.
    const abandoned = await call(client, "nudge");
    expect(abandoned.resultType).toBe("input_required");
    expect(await parked()).toBe("1");
    let text = "";
    await waitUntil(
      async () => {
        text = await (await fetch(`${gateway.url}/metrics`)).text();
        return /vmcp_calls_parked_lost_total\{[^}]*vmcp_loss_reason="park_timeout"[^}]*\} 1/.test(
          text,
        );
      },
      ParkTimeoutMs + 5_000,
      "the parked call lost to its timeout",
      100,
    );
    expect(await parked()).toBe("0");
  });
});

describe("2026-07-28 requests with tracing and metrics off (the default)", () => {
  it("registers no SDK and passes the client's _meta unchanged, with no traceparent header, to modern and 2025-era backends", async () => {
    const gateway = await start({});
    const client = await connectModernClient(gateway.url);
    try {
      expect(trace.getTracer("probe").startSpan("probe").isRecording()).toBe(false);
      await call(client, "echo", {
        arguments: { text: "off" },
        _meta: { traceparent: ClientTraceparent },
      });
      expect(modern.callMetas.at(-1)?.traceparent).toBe(ClientTraceparent);
      expect(modern.callTraceparents.at(-1)).toBeUndefined();
      seen.length = 0;
      await call(client, "probe", { _meta: { traceparent: ClientTraceparent } });
      expect(seen).toHaveLength(1);
      expect(seen[0]?.meta?.traceparent).toBe(ClientTraceparent);
      expect(seen[0]?.traceparentHeader).toBeUndefined();
      expect((await fetch(`${gateway.url}/metrics`)).status).toBe(404);
    } finally {
      await client.close();
      await gateway.close();
    }
  });
});
