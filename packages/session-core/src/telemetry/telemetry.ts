import type {
  Attributes,
  Context,
  Counter,
  Histogram,
  ObservableUpDownCounter,
  Span,
} from "@opentelemetry/api";
import { VmcpSessionError } from "@vmcp/session-keys";
import { errorCodeOf } from "../error-codes.js";
import type { BackendCallInfo } from "./backend-call-info.js";
import {
  context,
  metrics,
  propagation,
  type SessionMeter,
  type SessionMeterProvider,
  type SessionTracer,
  SpanKind,
  SpanStatusCode,
  trace,
} from "./otel-api.js";
import {
  McpDurationBucketsSeconds,
  mcpTarget,
  SessionInstrumentNames,
  TelemetryScope,
} from "./telemetry-names.js";

/**
 * Tracing and metrics of the session layer, on `@opentelemetry/api` only (through `otel-api.ts`,
 * which stands in a no-op when the optional API is not installed): every call here is a no-op
 * until the application registers an OpenTelemetry SDK (the gateway does with `--tracing` and
 * `--metrics`). Internal; the public names are in `telemetry-names.ts`.
 */

/** Storage operations get a finer start: a Redis round trip is well under 10 ms. */
const StorageBucketsSeconds: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

/** The instruments, made from the meter provider registered when they were first asked for. */
export interface SessionInstruments {
  readonly meter: SessionMeter;
  readonly clientOperationDuration: Histogram;
  readonly serverSessionDuration: Histogram;
  readonly sessionsCreated: Counter;
  readonly sessionsRestored: Counter;
  readonly sessionsEvicted: Counter;
  readonly sessionsTerminated: Counter;
  readonly sessionsLive: ObservableUpDownCounter;
  /**
   * What `vmcp.sessions.live` sums: one count per live-session holder (each `SessionManager` of
   * the process adds its own and removes it on close). One observation of the sum, since a second
   * observation of the same attributes in one collection would replace the first.
   */
  readonly liveCounts: Set<() => number>;
  readonly restoreDuration: Histogram;
  readonly storageDuration: Histogram;
  readonly storageErrors: Counter;
  readonly backendConnectFailures: Counter;
  readonly busPublished: Counter;
  readonly busDelivered: Counter;
  readonly busErrors: Counter;
}

let cached: { provider: SessionMeterProvider; instruments: SessionInstruments } | undefined;

/**
 * The session-layer instruments of the meter provider registered now. A provider registered
 * later (or a test's next one) gets instruments of its own on the next call.
 */
export function sessionInstruments(): SessionInstruments {
  const provider = metrics.getMeterProvider();
  if (cached?.provider !== provider) {
    cached = { provider, instruments: makeInstruments(provider.getMeter(TelemetryScope)) };
  }
  return cached.instruments;
}

function makeInstruments(meter: SessionMeter): SessionInstruments {
  const n = SessionInstrumentNames;
  const seconds = (name: string, description: string, buckets = McpDurationBucketsSeconds) =>
    meter.createHistogram(name, {
      description,
      unit: "s",
      advice: { explicitBucketBoundaries: [...buckets] },
    });
  const counter = (name: string, description: string) => meter.createCounter(name, { description });
  const liveCounts = new Set<() => number>();
  const sessionsLive = meter.createObservableUpDownCounter(n.sessionsLive, {
    description: "Live sessions (open backend connections) on this replica.",
  });
  sessionsLive.addCallback((result) => {
    let live = 0;
    for (const count of liveCounts) live += count();
    result.observe(live);
  });
  return {
    meter,
    clientOperationDuration: seconds(
      n.clientOperationDuration,
      "Duration of an MCP request the gateway sent to a backend, until its response.",
    ),
    serverSessionDuration: seconds(
      n.serverSessionDuration,
      "Duration of an MCP session from its creation to its termination.",
    ),
    sessionsCreated: counter(n.sessionsCreated, "Sessions created (stored) by this replica."),
    sessionsRestored: counter(
      n.sessionsRestored,
      "Sessions rebuilt on this replica from their stored record (a cache miss).",
    ),
    sessionsEvicted: counter(
      n.sessionsEvicted,
      "Live sessions this replica let go of while their record stays stored.",
    ),
    sessionsTerminated: counter(
      n.sessionsTerminated,
      "Sessions terminated (deleted everywhere) through this replica.",
    ),
    sessionsLive,
    liveCounts,
    restoreDuration: seconds(
      n.restoreDuration,
      "Duration of rebuilding a session from its stored record, backends reattached.",
    ),
    storageDuration: seconds(
      n.storageDuration,
      "Duration of one SessionStorage operation.",
      StorageBucketsSeconds,
    ),
    storageErrors: counter(n.storageErrors, "SessionStorage operations that threw."),
    backendConnectFailures: counter(
      n.backendConnectFailures,
      "Backend connects (new sessions and restores) that failed or timed out.",
    ),
    busPublished: counter(n.busPublished, "Messages published to the session message bus."),
    busDelivered: counter(
      n.busDelivered,
      "Messages the session message bus delivered to a subscription here.",
    ),
    busErrors: counter(n.busErrors, "Session message bus publishes and subscribes that threw."),
  };
}

/** The tracer of session-core (a no-op until an SDK registers a tracer provider). */
export function sessionTracer(): SessionTracer {
  return trace.getTracer(TelemetryScope);
}

/**
 * The `error.type` of a failure: the typed code of a vmcp-sessions error (`VMCP_...`, whichever
 * package threw it), the JSON-RPC code of a backend's error (`-32602`), else the error's class
 * name, else `_OTHER`.
 */
export function errorType(error: unknown): string {
  const code = error instanceof VmcpSessionError ? error.code : errorCodeOf(error);
  if (code !== undefined) return code;
  const rpc = (error as { code?: unknown } | null)?.code;
  if (typeof rpc === "number" && Number.isInteger(rpc)) return String(rpc);
  if (error instanceof Error && error.name !== "Error") return error.name;
  return "_OTHER";
}

/** Marks `span` failed with `error` (`error.type`, status ERROR with the message). */
export function failSpan(span: Span, error: unknown, type = errorType(error)): void {
  if (!span.isRecording()) return;
  span.setAttribute("error.type", type);
  if (error instanceof Error) span.recordException(error);
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}

/**
 * Runs `run` inside an INTERNAL span named `name` (a child of `parent`, default the active
 * context), ending it when `run` settles and marking it failed when `run` throws.
 */
export async function inSpan<T>(
  name: string,
  attributes: Attributes,
  run: (span: Span) => Promise<T>,
  parent: Context = context.active(),
): Promise<T> {
  const span = sessionTracer().startSpan(name, { kind: SpanKind.INTERNAL, attributes }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => run(span));
  } catch (error) {
    failSpan(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** The three context keys the MCP conventions carry unprefixed in `params._meta`. */
const MetaPropagationKeys = ["traceparent", "tracestate", "baggage"] as const;

/**
 * Sends one backend request inside an MCP client span (`{mcp.method.name} {target}`, kind
 * CLIENT, `vmcp.workload.id`), a child of `parent` (the context the caller was in before
 * waiting for a request slot), and records `mcp.client.operation.duration`. The span's context
 * is injected into the request's `params._meta` (replacing what the client sent there for
 * `traceparent`, `tracestate` and `baggage`) and is the active context while `send` runs, so
 * the HTTP transport's fetch injects it into the request headers too. Without a registered SDK
 * the params pass unchanged.
 */
export async function traceBackendCall<T>(
  info: BackendCallInfo,
  parent: Context,
  send: (params: Record<string, unknown> | undefined) => Promise<T>,
): Promise<T> {
  const target = mcpTarget(info.method, info.params);
  const attributes: Attributes = {
    "mcp.method.name": info.method,
    "vmcp.workload.id": info.workloadId,
  };
  if (target !== undefined) {
    attributes[target.attribute] = target.name;
    if (target.attribute === "gen_ai.tool.name")
      attributes["gen_ai.operation.name"] = "execute_tool";
  }
  if (info.protocolVersion !== undefined) attributes["mcp.protocol.version"] = info.protocolVersion;
  const span = sessionTracer().startSpan(
    target === undefined ? info.method : `${info.method} ${target.name}`,
    { kind: SpanKind.CLIENT },
    parent,
  );
  const recording = span.isRecording();
  if (recording) {
    span.setAttributes(attributes);
    if (info.backendSessionId !== "") span.setAttribute("mcp.session.id", info.backendSessionId);
  }
  const active = trace.setSpan(parent, span);
  // Injected even when the span is not recorded (sampled out): the backend then learns the
  // sampling decision, as the HTTP headers tell it. Without an SDK nothing is injected.
  const params = withPropagatedMeta(active, info.params);
  const started = performance.now();
  let failure: string | undefined;
  try {
    const result = await context.with(active, () => send(params));
    if (info.method === "tools/call" && (result as { isError?: unknown })?.isError === true) {
      failure = "tool_error";
      if (recording) {
        span.setAttribute("error.type", failure);
        span.setStatus({ code: SpanStatusCode.ERROR, message: "the tool reported an error" });
      }
    }
    return result;
  } catch (error) {
    failure = errorType(error);
    failSpan(span, error, failure);
    const rpc = (error as { code?: unknown } | null)?.code;
    if (recording && typeof rpc === "number")
      span.setAttribute("rpc.response.status_code", String(rpc));
    throw error;
  } finally {
    span.end();
    if (failure !== undefined) attributes["error.type"] = failure;
    sessionInstruments().clientOperationDuration.record(
      (performance.now() - started) / 1000,
      attributes,
    );
  }
}

/** `params` with the context of `ctx` injected into `_meta` by the registered propagators. */
function withPropagatedMeta(
  ctx: Context,
  params: Record<string, unknown> | undefined,
): Record<string, unknown> | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  if (Object.keys(carrier).length === 0) return params;
  const previous = params?._meta;
  const meta: Record<string, unknown> =
    typeof previous === "object" && previous !== null && !Array.isArray(previous)
      ? { ...(previous as Record<string, unknown>) }
      : {};
  for (const key of MetaPropagationKeys) delete meta[key];
  Object.assign(meta, carrier);
  return { ...(params ?? {}), _meta: meta };
}

/**
 * Injects the active context into outgoing HTTP headers (`traceparent`, `tracestate`, `baggage`
 * with the W3C propagators). Returns `headers` itself when nothing is injected (no SDK).
 */
export function withPropagatedHeaders(headers: Record<string, string>): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return Object.keys(carrier).length === 0 ? headers : { ...headers, ...carrier };
}

/**
 * Runs a session restore in a `vmcp.session.restore` span (with `vmcp.backend.count` once
 * restored); records `vmcp.session.restore.duration` (with `error.type` when it fails) and, once
 * restored, `vmcp.sessions.restored`.
 */
export async function traceRestore<T>(
  sessionId: string,
  restore: () => Promise<T | undefined>,
  sessionOf: (restored: T) => { readonly backendIds: readonly string[] },
): Promise<T | undefined> {
  const instruments = sessionInstruments();
  const started = performance.now();
  const attributes: Attributes = {};
  try {
    const restored = await inSpan("vmcp.session.restore", { "mcp.session.id": sessionId }, (span) =>
      restore().then((result) => {
        if (result !== undefined && span.isRecording()) {
          span.setAttribute("vmcp.backend.count", sessionOf(result).backendIds.length);
        }
        return result;
      }),
    );
    if (restored !== undefined) instruments.sessionsRestored.add(1);
    return restored;
  } catch (error) {
    attributes["error.type"] = errorType(error);
    throw error;
  } finally {
    instruments.restoreDuration.record((performance.now() - started) / 1000, attributes);
  }
}
