import { traceBackendRequest } from "@vmcp/session-core";
import type { RelayedRequest, RelayedResult } from "../../stateless-backends/stateless-call.js";
import type { ModernBackend } from "../backends/modern-backends.js";

/** The revision the gateway speaks with modern backends (`mcp.protocol.version` of the span). */
const BackendRevision = "2026-07-28";

/** A sender of one request to a modern backend (`callStatelessBackend`, `rawBackendCall`). */
export type ModernSend = (
  backend: ModernBackend,
  method: string,
  params: Readonly<Record<string, unknown>>,
  request: RelayedRequest,
) => Promise<RelayedResult>;

/**
 * Sends one request to a modern backend with `send` inside the gateway's MCP client span
 * (session-core's `traceBackendRequest`: `{method} {target}`, `vmcp.workload.id`,
 * `mcp.protocol.version` `2026-07-28`, no `mcp.session.id` since the call has no session, and
 * `mcp.client.operation.duration`), a child of the active context (the request's server span).
 * The span's context replaces `traceparent`, `tracestate` and `baggage` in the mirrored `_meta`
 * the backend gets, and is active while `send` runs, so the gateway's keep-alive fetch puts it in
 * the HTTP headers. Without a registered SDK `request` passes unchanged.
 */
export function traceModernBackendCall(
  send: ModernSend,
  backend: ModernBackend,
  method: string,
  params: Readonly<Record<string, unknown>>,
  request: RelayedRequest,
): Promise<RelayedResult> {
  const mirrored = request.meta.meta;
  return traceBackendRequest(
    {
      workloadId: backend.workloadId,
      method,
      params: { ...params, _meta: mirrored },
      backendSessionId: "",
      protocolVersion: BackendRevision,
    },
    (sent) => {
      const meta = sent?._meta as Record<string, unknown> | undefined;
      if (meta === undefined || meta === mirrored) return send(backend, method, params, request);
      return send(backend, method, params, { ...request, meta: { ...request.meta, meta } });
    },
  );
}
