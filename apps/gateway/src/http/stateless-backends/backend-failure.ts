import { ProtocolErrorCode, SdkError, SdkErrorCode } from "@modelcontextprotocol/client";
import { ErrorCode, errorCodeOf } from "../../error-codes.js";

/**
 * JSON-RPC codes a backend answers when it does not (or no longer) speak the revision the
 * gateway used with it: the 2026-07-28 ladder's header mismatch (-32020) and unsupported version
 * (-32022), and the 2025-era "server not initialized" / bad request (-32000) an SDK v1 server
 * gives a request without a session.
 */
const EraErrorCodes: ReadonlySet<number> = new Set([
  -32020,
  ProtocolErrorCode.UnsupportedProtocolVersion,
  -32000,
]);

/** SDK client errors that say nothing about the backend's era or reachability. */
const CallerSideCodes: ReadonlySet<string> = new Set([
  SdkErrorCode.RequestTimeout,
  SdkErrorCode.InputRequiredRoundsExceeded,
  SdkErrorCode.ListPaginationExceeded,
  SdkErrorCode.UnsupportedResultType,
  SdkErrorCode.CapabilityNotSupported,
]);

/**
 * Whether a relayed call failed so that the backend's era verdict may be stale: the backend was
 * unreachable (connection refused or reset, an HTTP error status, a body that is no MCP), or it
 * answered as a backend of another era would (see {@link EraErrorCodes}, or a result the 2026
 * decoder refuses), or a pooled backend session found it unavailable (`BackendUnavailableError`).
 * A JSON-RPC error the backend chose to answer (-32602, -32603, a tool's own failure...), a
 * timeout, the gateway's other typed errors and the caller's own cancellation (`signal` aborted)
 * are not.
 */
export function isEraOrTransportFailure(error: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted === true) return false;
  // The gateway's own typed errors (a busy or closed pooled session, the store) say nothing of the
  // backend's era, but for an unreachable backend.
  const typed = errorCodeOf(error);
  if (typed !== undefined) return typed === ErrorCode.BackendUnavailable;
  if (error instanceof SdkError) return !CallerSideCodes.has(error.code);
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "number") return EraErrorCodes.has(code);
  // A network failure surfaces as fetch's TypeError (or another non-protocol error).
  return error instanceof Error;
}
