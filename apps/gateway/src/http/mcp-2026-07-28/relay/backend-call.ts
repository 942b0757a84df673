import {
  callStatelessBackend,
  type RelayedRequest,
  type RelayedResult,
} from "../../stateless-backends/stateless-call.js";
import type { ModernBackend } from "../backends/modern-backends.js";
import { traceModernBackendCall } from "./traced-backend-call.js";

export type { RelayedRequest, RelayedResult } from "../../stateless-backends/stateless-call.js";
export { withoutServerInfo } from "../../stateless-backends/stateless-call.js";

/**
 * Sends one request of a 2026-07-28 client to a backend and resolves its result: a modern backend
 * statelessly (`callStatelessBackend`, shared with the 2025 session path, which reaches modern
 * backends the same way); a backend with a `pooled` channel (2025-era or stdio) through the
 * caller's pooled backend session (see `PooledCall`). Either way the call is an MCP client span
 * under the active context (`traceModernBackendCall` here; the pooled session's own for a pooled
 * one), its context propagated to the backend.
 * @throws the client's error: a backend JSON-RPC error (`ProtocolError`), a transport failure, a
 *   timeout, or the abort.
 */
export async function callBackend(
  backend: ModernBackend,
  method: string,
  params: Readonly<Record<string, unknown>>,
  request: RelayedRequest,
): Promise<RelayedResult> {
  // A 2025-era or stdio backend: through the caller's pooled backend session.
  if (backend.pooled !== undefined) return backend.pooled.call(method, params, request);
  return traceModernBackendCall(callStatelessBackend, backend, method, params, request);
}
