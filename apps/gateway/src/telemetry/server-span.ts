import type { IncomingHttpHeaders } from "node:http";
import {
  type Attributes,
  type Context,
  context,
  type Histogram,
  type Link,
  type MeterProvider,
  metrics,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import { McpDurationBucketsSeconds, mcpTarget } from "@vmcp/session-core";
import { httpErrorOf } from "../json-rpc/error-mapping.js";

/** The instrumentation scope of the gateway's own spans and instruments. */
export const GatewayTelemetryScope = "@vmcp/gateway";

/** One JSON-RPC request a client sent, as its server span describes it. */
export interface ServerRequestInfo {
  readonly method: string;
  readonly params: unknown;
  /** The JSON-RPC `id`. */
  readonly id: string | number;
  /** The gateway's `Mcp-Session-Id`; absent for `initialize`. */
  readonly sessionId?: string;
  /** The HTTP request's headers: trace context when `params._meta` carries none; the protocol version. */
  readonly headers: IncomingHttpHeaders;
  /** The HTTP version, e.g. `1.1`. */
  readonly httpVersion?: string;
  /**
   * The protocol revision the request speaks (`mcp.protocol.version`). Default: `initialize`'s
   * `protocolVersion`, else the `MCP-Protocol-Version` header.
   */
  readonly protocolVersion?: string;
}

/** A JSON-RPC error as the gateway answers it. */
export interface RpcErrorLike {
  readonly code: number;
  readonly message: string;
}

/**
 * How {@link traceServerRequest} reads what its `run` settled with. Default
 * ({@link JsonRpcBodyOutcome}): a 2025 JSON-RPC response body (`{ result }` or `{ error }`), and
 * for a throw the error the `/mcp` endpoint answers it with.
 */
export interface ServerOutcomeReader<T> {
  /** The JSON-RPC error `outcome` answers with; `undefined` for a result. */
  errorOf(outcome: T): RpcErrorLike | undefined;
  /** The result `outcome` carries (its `isError`, `resultType` are read); `undefined` for none. */
  resultOf(outcome: T): Record<string, unknown> | undefined;
  /** The JSON-RPC error a throw of `run` is answered with. */
  thrown(error: unknown): RpcErrorLike;
}

/** The reader of a 2025 JSON-RPC response body: `error` or `result`; a throw as the endpoint maps it. */
export const JsonRpcBodyOutcome: ServerOutcomeReader<unknown> = {
  errorOf: (outcome) => errorOf(outcome),
  resultOf: (outcome) =>
    isRecord(outcome) && isRecord(outcome.result) ? outcome.result : undefined,
  thrown: (error) => httpErrorOf(error).body,
};

/** The attribute that marks a result other than a complete one (`input_required`, `task`). */
export const ResultTypeAttribute = "vmcp.result.type";

/** The conventions' server-side request duration histogram, seconds. */
export const ServerOperationDuration = "mcp.server.operation.duration";

let cached: { provider: MeterProvider; duration: Histogram } | undefined;

/** `mcp.server.operation.duration` of the meter provider registered now. */
function serverDuration(): Histogram {
  const provider = metrics.getMeterProvider();
  if (cached?.provider !== provider) {
    const duration = provider
      .getMeter(GatewayTelemetryScope)
      .createHistogram(ServerOperationDuration, {
        description:
          "Duration of an MCP request the gateway received, until its response was ready.",
        unit: "s",
        advice: { explicitBucketBoundaries: [...McpDurationBucketsSeconds] },
      });
    cached = { provider, duration };
  }
  return cached.duration;
}

/** The three W3C context fields the MCP conventions carry in `params._meta`. */
const MetaKeys = ["traceparent", "tracestate", "baggage"] as const;

/**
 * Runs one client request inside an MCP server span, by the OpenTelemetry MCP semantic
 * conventions: named `{mcp.method.name} {target}` (the tool or prompt name) or
 * `{mcp.method.name}`, kind SERVER, with `mcp.method.name`, `mcp.session.id`,
 * `jsonrpc.request.id`, `gen_ai.tool.name` / `gen_ai.prompt.name` (and
 * `gen_ai.operation.name` `execute_tool`), `mcp.resource.uri`, `mcp.protocol.version`,
 * `network.transport` `tcp`, `network.protocol.name` `http` and, on failure, `error.type`
 * (the JSON-RPC code, or `tool_error`) and `rpc.response.status_code`. The parent is the context
 * in `params._meta` (`traceparent`, `tracestate`, `baggage`); the HTTP headers' context, when it
 * differs, becomes a link; without `_meta` context the headers' context is the parent. A result
 * whose `resultType` is neither absent nor `complete` (a 2026-07-28 `input_required` round, a
 * `task`) is no failure: it gets `vmcp.result.type`. Records `mcp.server.operation.duration`
 * (with `error.type`, `rpc.response.status_code` and `vmcp.result.type` as on the span). `run`'s
 * outcome is returned unchanged, a throw rethrown; `read` says what it means (default
 * {@link JsonRpcBodyOutcome}: a 2025 response body with `error` or `result`).
 */
export async function traceServerRequest<T>(
  request: ServerRequestInfo,
  run: () => Promise<T>,
  read: ServerOutcomeReader<T> = JsonRpcBodyOutcome as ServerOutcomeReader<T>,
): Promise<T> {
  const params = isRecord(request.params) ? request.params : undefined;
  const target = mcpTarget(request.method, params);
  const attributes: Attributes = {
    "mcp.method.name": request.method,
    "network.transport": "tcp",
    "network.protocol.name": "http",
  };
  if (target !== undefined) {
    attributes[target.attribute] = target.name;
    if (target.attribute === "gen_ai.tool.name")
      attributes["gen_ai.operation.name"] = "execute_tool";
  }
  const protocol =
    request.protocolVersion ??
    (request.method === "initialize"
      ? params?.protocolVersion
      : request.headers["mcp-protocol-version"]);
  if (typeof protocol === "string") attributes["mcp.protocol.version"] = protocol;
  const started = performance.now();
  const { parent, links } = parentOf(params, request.headers);
  const span = trace
    .getTracer(GatewayTelemetryScope)
    .startSpan(
      target === undefined ? request.method : `${request.method} ${target.name}`,
      { kind: SpanKind.SERVER, attributes, links },
      parent,
    );
  const recording = span.isRecording();
  if (recording) {
    span.setAttribute("jsonrpc.request.id", String(request.id));
    if (request.sessionId !== undefined) span.setAttribute("mcp.session.id", request.sessionId);
    const uri = params?.uri;
    if (typeof uri === "string" && request.method.startsWith("resources/")) {
      span.setAttribute("mcp.resource.uri", uri);
    }
    if (request.httpVersion !== undefined) {
      span.setAttribute("network.protocol.version", request.httpVersion);
    }
  }
  const metricAttributes: Attributes = { ...attributes };
  const fail = (type: string, message: string, code?: number) => {
    metricAttributes["error.type"] = type;
    if (code !== undefined) metricAttributes["rpc.response.status_code"] = String(code);
    if (!recording) return;
    span.setAttribute("error.type", type);
    if (code !== undefined) span.setAttribute("rpc.response.status_code", String(code));
    span.setStatus({ code: SpanStatusCode.ERROR, message });
  };
  try {
    const outcome = await context.with(trace.setSpan(parent, span), run);
    const error = read.errorOf(outcome);
    const result = error === undefined ? read.resultOf(outcome) : undefined;
    if (error !== undefined) fail(String(error.code), error.message, error.code);
    else if (request.method === "tools/call" && result?.isError === true) {
      fail("tool_error", "the tool reported an error");
    }
    const resultType = result?.resultType;
    if (typeof resultType === "string" && resultType !== "complete") {
      metricAttributes[ResultTypeAttribute] = resultType;
      if (recording) span.setAttribute(ResultTypeAttribute, resultType);
    }
    return outcome;
  } catch (error) {
    // The JSON-RPC error the caller is answered with for this throw.
    const body = read.thrown(error);
    fail(String(body.code), body.message, body.code);
    if (recording && error instanceof Error) span.recordException(error);
    throw error;
  } finally {
    span.end();
    serverDuration().record((performance.now() - started) / 1000, metricAttributes);
  }
}

/**
 * Runs `run` with the trace context of the HTTP `headers` (W3C `traceparent`, `tracestate`,
 * `baggage` with the default propagators) active, so what happens before the per-message server
 * spans (the session lookup, a restore, a terminate) joins the caller's trace. Without a
 * registered SDK this is a plain call.
 */
export function inHeaderContext<T>(
  headers: IncomingHttpHeaders,
  run: () => Promise<T>,
): Promise<T> {
  if (headers.traceparent === undefined && headers.baggage === undefined) return run();
  return context.with(propagation.extract(context.active(), headers, HeaderGetter), run);
}

/** The parent context (from `_meta`, else the headers) and a link to the headers' context. */
function parentOf(
  params: Record<string, unknown> | undefined,
  headers: IncomingHttpHeaders,
): { parent: Context; links: Link[] } {
  const fromHeaders = propagation.extract(ROOT_CONTEXT, headers, HeaderGetter);
  const meta = params?._meta;
  if (!isRecord(meta) || !MetaKeys.some((k) => typeof meta[k] === "string")) {
    return { parent: fromHeaders, links: [] };
  }
  const fromMeta = propagation.extract(ROOT_CONTEXT, meta, MetaGetter);
  const metaSpan = trace.getSpanContext(fromMeta);
  if (metaSpan === undefined || !trace.isSpanContextValid(metaSpan)) {
    return { parent: fromHeaders, links: [] };
  }
  const headerSpan = trace.getSpanContext(fromHeaders);
  const links =
    headerSpan !== undefined &&
    trace.isSpanContextValid(headerSpan) &&
    headerSpan.spanId !== metaSpan.spanId
      ? [{ context: headerSpan }]
      : [];
  return { parent: fromMeta, links };
}

const HeaderGetter = {
  keys: (carrier: IncomingHttpHeaders) => Object.keys(carrier),
  get: (carrier: IncomingHttpHeaders, key: string) => carrier[key.toLowerCase()],
};

const MetaGetter = {
  keys: (carrier: Record<string, unknown>) => Object.keys(carrier),
  get: (carrier: Record<string, unknown>, key: string) => {
    const value = carrier[key];
    return typeof value === "string" ? value : undefined;
  },
};

function errorOf(outcome: unknown): RpcErrorLike | undefined {
  if (!isRecord(outcome) || !isRecord(outcome.error)) return undefined;
  const { code, message } = outcome.error;
  return typeof code === "number" ? { code, message: String(message ?? "") } : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
