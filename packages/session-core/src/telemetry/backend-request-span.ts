import type { BackendCallInfo } from "./backend-call-info.js";
import { context } from "./otel-api.js";
import { traceBackendCall } from "./telemetry.js";

/**
 * Sends one backend request with `send` inside an MCP client span under the active context (see
 * `traceBackendCall`: `{mcp.method.name} {target}`, `mcp.client.operation.duration`, the span's
 * context injected into `params._meta` and, while `send` runs, the HTTP headers): for a request
 * sent outside a session's connections, such as the gateway's stateless 2026-07-28 backend calls.
 * Without a registered OpenTelemetry SDK the params pass unchanged. Its declaration names no
 * `@opentelemetry/api` type, so an install without that optional peer still type-checks.
 */
export function traceBackendRequest<T>(
  info: BackendCallInfo,
  send: (params: Record<string, unknown> | undefined) => Promise<T>,
): Promise<T> {
  return traceBackendCall(info, context.active(), send);
}
