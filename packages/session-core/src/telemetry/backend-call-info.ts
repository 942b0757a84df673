/**
 * What a backend request span describes. Kept apart from `telemetry.ts`, whose declarations name
 * `@opentelemetry/api` types: a consumer type-checking the public API must not need the optional
 * OpenTelemetry peer for it.
 */
export interface BackendCallInfo {
  /** The backend (`vmcp.workload.id`). */
  readonly workloadId: string;
  /** The JSON-RPC method (`mcp.method.name`). */
  readonly method: string;
  /** The request's params; the trace context is injected into a copy's `_meta`. */
  readonly params: Record<string, unknown> | undefined;
  /** The backend's own session ID (`""` without sessions). */
  readonly backendSessionId: string;
  /** The revision spoken with the backend (`mcp.protocol.version`); none when unknown. */
  readonly protocolVersion: string | undefined;
}
