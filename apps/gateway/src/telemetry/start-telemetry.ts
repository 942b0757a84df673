import type { IncomingMessage, ServerResponse } from "node:http";
import { context, metrics as metricsApi, propagation, trace } from "@opentelemetry/api";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { type metrics, NodeSDK, type tracing } from "@opentelemetry/sdk-node";
import { SessionInstrumentNames } from "@vmcp/session-core";
import { ServerOperationDuration } from "./server-span.js";

/** What {@link startTelemetry} turns on. */
export interface TelemetryOptions {
  /**
   * Registers the OpenTelemetry Node SDK's tracer provider, its span processors and exporter
   * chosen by the standard `OTEL_*` variables (`OTEL_TRACES_EXPORTER`: `otlp` by default,
   * `console`, `zipkin` or `none`; `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_SERVICE_NAME`,
   * `OTEL_TRACES_SAMPLER`, `OTEL_PROPAGATORS`...). Default `false`.
   */
  readonly tracing?: boolean;
  /** Registers a meter provider whose Prometheus exporter serves `GET /metrics`. Default `false`. */
  readonly metrics?: boolean;
  /** Span processors used instead of those `OTEL_*` chooses (tests pass an in-memory one). */
  readonly spanProcessors?: readonly tracing.SpanProcessor[];
  /** Metric readers added beside the Prometheus exporter (tests pass their own). */
  readonly metricReaders?: readonly metrics.IMetricReader[];
}

/** Telemetry as started; `undefined` from {@link startTelemetry} when both are off. */
export interface RunningTelemetry {
  /** Serves the Prometheus text of every instrument; present when metrics are on. */
  readonly metricsHandler?: (req: IncomingMessage, res: ServerResponse) => void;
  /** Flushes and shuts the SDK down, and unregisters it from the API. Idempotent. */
  shutdown(): Promise<void>;
}

/**
 * Every histogram in seconds (session-core's and the gateway's `mcp.server.operation.duration`).
 * The OTel Prometheus exporter for Node 20 (0.223) writes no unit suffix, so a view per histogram
 * renames it `<name>_seconds` for the Prometheus naming rule: `mcp.server.operation.duration`
 * is scraped as `mcp_server_operation_duration_seconds_bucket`.
 */
const SecondsHistograms = [
  ServerOperationDuration,
  SessionInstrumentNames.clientOperationDuration,
  SessionInstrumentNames.serverSessionDuration,
  SessionInstrumentNames.restoreDuration,
  SessionInstrumentNames.storageDuration,
];

/** The `service.name` when `OTEL_SERVICE_NAME` (or the resource attributes) names none. */
export const DefaultServiceName = "vmcp-gateway";

/**
 * Registers the OpenTelemetry Node SDK for what is on, before anything records: with both off
 * nothing is registered and every span and instrument of `@opentelemetry/api` stays a no-op.
 * Metrics go to the Prometheus exporter only (no push exporter is started by `OTEL_METRICS_EXPORTER`);
 * OTel logs are not exported.
 */
export function startTelemetry(options: TelemetryOptions): RunningTelemetry | undefined {
  if (options.tracing !== true && options.metrics !== true) return undefined;
  const prometheus =
    options.metrics === true ? new PrometheusExporter({ preventServerStart: true }) : undefined;
  const readers = [
    ...(prometheus === undefined ? [] : [prometheus]),
    ...(options.metricReaders ?? []),
  ];
  const named =
    process.env.OTEL_SERVICE_NAME !== undefined ||
    (process.env.OTEL_RESOURCE_ATTRIBUTES ?? "").includes("service.name=");
  const sdk = new NodeSDK({
    ...(named ? {} : { serviceName: DefaultServiceName }),
    // Without tracing no tracer provider is registered: an empty list registers none.
    ...(options.tracing === true
      ? options.spanProcessors === undefined
        ? {}
        : { spanProcessors: [...options.spanProcessors] }
      : { spanProcessors: [] }),
    metricReaders: options.metrics === true ? readers : [],
    views: SecondsHistograms.map((name) => ({ instrumentName: name, name: `${name}_seconds` })),
    logRecordProcessors: [],
  });
  sdk.start();
  let stopped: Promise<void> | undefined;
  return {
    ...(prometheus === undefined
      ? {}
      : { metricsHandler: (req, res) => prometheus.getMetricsRequestHandler(req, res) }),
    shutdown: () => {
      stopped ??= sdk.shutdown().finally(unregister);
      return stopped;
    },
  };
}

/** Leaves the API as it was before the SDK: no-op tracing, metrics and propagation. */
function unregister(): void {
  trace.disable();
  metricsApi.disable();
  propagation.disable();
  context.disable();
}
