/**
 * Tracing and metrics end to end: a real SDK client, the gateway over real HTTP with the
 * OpenTelemetry Node SDK registered (an in-memory span exporter given from code, the Prometheus
 * exporter on `/metrics`), and a real SDK backend of this file's own that records the trace
 * context it receives in `params._meta` and in its HTTP headers.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { tracing } from "@opentelemetry/sdk-node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { validateGatewayConfig } from "../dist/config/load-config.js";
import { type RunningBackend, serveBackendHttp } from "../dist/demo-backends/serve-backend.js";
import { type RunningGateway, startGateway } from "../dist/gateway.js";
import { createLogger } from "../dist/logger.js";
import {
  ClientSpanId,
  ClientTraceId,
  ClientTraceparent,
  parseTraceparent,
  type Seen,
  traceProbeServer,
} from "./helpers/trace-probe.js";

const seen: Seen[] = [];
let backend: RunningBackend;

beforeAll(async () => {
  backend = await serveBackendHttp(() => traceProbeServer("probe", seen));
});
afterAll(async () => {
  await backend?.close();
});

async function start(
  raw: Record<string, unknown>,
  spans?: tracing.InMemorySpanExporter,
): Promise<RunningGateway> {
  const config = validateGatewayConfig({
    port: 0,
    logLevel: "silent",
    backends: [{ workloadId: "probe", url: backend.url }],
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

async function connect(
  gateway: RunningGateway,
  headers: Record<string, string> = {},
): Promise<{ client: Client; transport: StreamableHTTPClientTransport; sessionId: string }> {
  const transport = new StreamableHTTPClientTransport(new URL(`${gateway.url}/mcp`), {
    requestInit: { headers },
  });
  const client = new Client({ name: "otel-client", version: "1.0.0" });
  await client.connect(transport);
  return { client, transport, sessionId: transport.sessionId ?? "" };
}

function parentIdOf(span: tracing.ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

describe("with tracing and metrics on", () => {
  const spans = new tracing.InMemorySpanExporter();
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await start(
      {
        tracing: true,
        metrics: true,
        maxLiveSessions: 1,
        // Nothing listens there: every session connects without it, and counts the failure.
        backends: [
          { workloadId: "probe", url: backend.url },
          { workloadId: "dead", url: "http://127.0.0.1:9/mcp" },
        ],
      },
      spans,
    );
  });
  afterAll(async () => {
    await gateway?.close();
  });
  afterEach(() => {
    spans.reset();
    seen.length = 0;
  });

  it("carries the client's trace from params._meta into the backend's _meta and HTTP headers, under the gateway's server and client spans", async () => {
    const { client, sessionId } = await connect(gateway);
    spans.reset();
    await client.callTool({
      name: "probe",
      arguments: {},
      _meta: { traceparent: ClientTraceparent },
    });

    expect(seen).toHaveLength(1);
    const got = seen[0] as Seen;
    const viaMeta = parseTraceparent(got.meta?.traceparent);
    const viaHeader = parseTraceparent(got.traceparentHeader);
    expect(viaMeta.traceId).toBe(ClientTraceId);
    expect(viaHeader.traceId).toBe(ClientTraceId);

    const finished = spans.getFinishedSpans();
    const server = finished.find(
      (s) => s.kind === SpanKind.SERVER && s.name === "tools/call probe",
    );
    const backendCall = finished.find(
      (s) => s.kind === SpanKind.CLIENT && s.name === "tools/call probe",
    );
    expect(server, finished.map((s) => s.name).join(", ")).toBeDefined();
    expect(backendCall).toBeDefined();
    if (server === undefined || backendCall === undefined) return;
    // client -> gateway server span -> gateway client span -> backend
    expect(server.spanContext().traceId).toBe(ClientTraceId);
    expect(parentIdOf(server)).toBe(ClientSpanId);
    expect(parentIdOf(backendCall)).toBe(server.spanContext().spanId);
    expect(viaMeta.spanId).toBe(backendCall.spanContext().spanId);
    expect(viaHeader.spanId).toBe(backendCall.spanContext().spanId);

    expect(server.attributes).toMatchObject({
      "mcp.method.name": "tools/call",
      "mcp.session.id": sessionId,
      "gen_ai.tool.name": "probe",
      "gen_ai.operation.name": "execute_tool",
      "network.transport": "tcp",
      "network.protocol.name": "http",
    });
    expect(typeof server.attributes["jsonrpc.request.id"]).toBe("string");
    expect(typeof server.attributes["mcp.protocol.version"]).toBe("string");
    expect(server.attributes["error.type"]).toBeUndefined();
    expect(backendCall.attributes).toMatchObject({
      "mcp.method.name": "tools/call",
      "vmcp.workload.id": "probe",
      "gen_ai.tool.name": "probe",
    });
    // The backend's own session, not the gateway's.
    expect(backendCall.attributes["mcp.session.id"]).toMatch(/^[0-9a-f-]{36}$/);

    await client.close();
  });

  it("takes the trace from the HTTP traceparent header when _meta has none", async () => {
    const headerTrace = "0af7651916cd43dd8448eb211c80319c";
    const { client, sessionId } = await connect(gateway, {
      traceparent: `00-${headerTrace}-b7ad6b7169203331-01`,
    });
    await client.callTool({ name: "probe", arguments: {} });
    // The session lookup before the call joins the headers' trace too.
    const load = spans.getFinishedSpans().find((s) => s.name === "vmcp.storage.load");
    expect(load?.spanContext().traceId).toBe(headerTrace);
    expect(load?.attributes).toMatchObject({
      "vmcp.storage.operation": "load",
      "mcp.session.id": sessionId,
    });
    const last = seen.at(-1) as Seen;
    expect(parseTraceparent(last.meta?.traceparent).traceId).toBe(headerTrace);
    expect(parseTraceparent(last.traceparentHeader).traceId).toBe(headerTrace);
    const initialize = spans
      .getFinishedSpans()
      .find((s) => s.kind === SpanKind.SERVER && s.name === "initialize");
    expect(initialize?.spanContext().traceId).toBe(headerTrace);
    // Each backend connect is a child of initialize (the dead backend's failed).
    const connects = spans.getFinishedSpans().filter((s) => s.name === "vmcp.backend.connect");
    expect(connects.map((s) => s.attributes["vmcp.workload.id"]).sort()).toEqual(["dead", "probe"]);
    for (const c of connects) expect(parentIdOf(c)).toBe(initialize?.spanContext().spanId);
    expect(connects.find((c) => c.attributes["vmcp.workload.id"] === "dead")?.status.code).toBe(
      SpanStatusCode.ERROR,
    );
    expect(spans.getFinishedSpans().some((s) => s.name === "vmcp.storage.create")).toBe(true);
    await client.close();
  });

  it("marks failures: a JSON-RPC error by its code, a tool's own error as tool_error", async () => {
    const { client } = await connect(gateway);
    spans.reset();
    await expect(client.callTool({ name: "nope", arguments: {} })).rejects.toThrow();
    await client.callTool({ name: "broken", arguments: {} });
    const finished = spans.getFinishedSpans();
    const unknown = finished.find((s) => s.name === "tools/call nope");
    expect(unknown?.attributes).toMatchObject({
      "error.type": "-32602",
      "rpc.response.status_code": "-32602",
    });
    expect(unknown?.status.code).toBe(SpanStatusCode.ERROR);
    const broken = finished.filter((s) => s.name === "tools/call broken");
    expect(broken.map((s) => s.kind).sort()).toEqual([SpanKind.SERVER, SpanKind.CLIENT].sort());
    for (const span of broken) {
      expect(span.attributes["error.type"]).toBe("tool_error");
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
    }
    await client.close();
  });

  it("restores an evicted session in a vmcp.session.restore span, and GET /metrics serves every instrument as Prometheus text", async () => {
    const first = await connect(gateway);
    const second = await connect(gateway); // maxLiveSessions 1: evicts the first
    spans.reset();
    await first.client.callTool({ name: "probe", arguments: {} });
    const restore = spans.getFinishedSpans().find((s) => s.name === "vmcp.session.restore");
    expect(restore?.attributes).toMatchObject({ "mcp.session.id": first.sessionId });
    await first.transport.terminateSession();
    await first.client.close();
    await second.client.close();

    const res = await fetch(`${gateway.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await res.text();
    for (const name of [
      "mcp_server_operation_duration_seconds_bucket",
      "mcp_client_operation_duration_seconds_bucket",
      "mcp_server_session_duration_seconds_bucket",
      "vmcp_sessions_created_total",
      "vmcp_sessions_restored_total",
      "vmcp_sessions_evicted_total",
      "vmcp_sessions_terminated_total",
      "vmcp_sessions_live",
      "vmcp_session_restore_duration_seconds_bucket",
      "vmcp_storage_operation_duration_seconds_bucket",
    ]) {
      expect(text, name).toContain(name);
    }
    expect(text).toMatch(
      /mcp_server_operation_duration_seconds_bucket\{[^}]*mcp_method_name="tools\/call"/,
    );
    expect(text).toMatch(
      /vmcp_storage_operation_duration_seconds_count\{[^}]*vmcp_storage_operation="load"/,
    );
    expect(text).toMatch(
      /vmcp_backend_connect_failures_total\{[^}]*vmcp_workload_id="dead"[^}]*\} [1-9]/,
    );
    expect(text).toMatch(
      /vmcp_sessions_evicted_total\{[^}]*vmcp_eviction_reason="capacity"[^}]*\} [1-9]/,
    );
    // The conventions' buckets, in seconds.
    expect(text).toMatch(/mcp_server_operation_duration_seconds_bucket\{[^}]*le="0.01"/);
    expect(text).toMatch(/mcp_server_operation_duration_seconds_bucket\{[^}]*le="300"/);
  });
});

describe("with tracing on and OTEL_TRACES_EXPORTER=none", () => {
  it("records nothing, yet the client's trace reaches the backend in _meta and in the HTTP headers", async () => {
    const previous = process.env.OTEL_TRACES_EXPORTER;
    process.env.OTEL_TRACES_EXPORTER = "none";
    const gateway = await start({ tracing: true });
    try {
      expect(trace.getTracer("probe").startSpan("probe").isRecording()).toBe(false);
      const { client } = await connect(gateway);
      seen.length = 0;
      await client.callTool({
        name: "probe",
        arguments: {},
        _meta: { traceparent: ClientTraceparent },
      });
      const got = seen[0] as Seen;
      expect(parseTraceparent(got.meta?.traceparent).traceId).toBe(ClientTraceId);
      expect(parseTraceparent(got.traceparentHeader).traceId).toBe(ClientTraceId);
      await client.close();
    } finally {
      await gateway.close();
      if (previous === undefined) delete process.env.OTEL_TRACES_EXPORTER;
      else process.env.OTEL_TRACES_EXPORTER = previous;
    }
  });
});

describe("with tracing and metrics off (the default)", () => {
  it("registers no SDK, passes the client's _meta unchanged, adds no traceparent header and serves no /metrics", async () => {
    const gateway = await start({});
    try {
      expect(trace.getTracer("probe").startSpan("probe").isRecording()).toBe(false);
      const { client } = await connect(gateway);
      seen.length = 0;
      await client.callTool({
        name: "probe",
        arguments: {},
        _meta: { traceparent: ClientTraceparent },
      });
      expect(seen).toEqual([
        { meta: { traceparent: ClientTraceparent }, traceparentHeader: undefined },
      ]);
      expect((await fetch(`${gateway.url}/metrics`)).status).toBe(404);
      await client.close();
    } finally {
      await gateway.close();
    }
  });
});
