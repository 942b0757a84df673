import { ErrorCode, errorCodeOf } from "../error-codes.js";
import { UnauthenticatedError } from "../errors.js";
import { GatewayErrorCode, HttpJsonRpcError, type JsonRpcErrorBody } from "./json-rpc.js";

/** How one typed error code is answered: the HTTP status (when it ends the request) and the JSON-RPC code. */
interface Mapping {
  /** HTTP status when the error refuses the whole request; 200 when it is one request's error. */
  readonly status: number;
  readonly rpcCode: number;
  /** Extra response headers (refusals only). */
  readonly headers?: (error: unknown) => Readonly<Record<string, string>>;
  /** The message, from the error's own (refusals only; default unchanged). */
  readonly message?: (message: string) => string;
  /** How one request's failure is logged: `warn` for a backend failure, `error` for a bug. */
  readonly log?: "warn" | "error";
}

const retryAfter = (error: unknown) => ({
  "retry-after": String((error as { retryAfterSec?: unknown }).retryAfterSec ?? 1),
});
const storeDown: Mapping = {
  status: 503,
  rpcCode: GatewayErrorCode.StoreUnavailable,
  headers: () => ({ "retry-after": "1" }),
  message: (m) => `session store unavailable: ${m}`,
};

const busDown: Mapping = {
  status: 503,
  rpcCode: GatewayErrorCode.StoreUnavailable,
  headers: () => ({ "retry-after": "1" }),
  message: (m) => `session message bus unavailable: ${m}`,
};

/**
 * The one table of typed error codes (`error.code`) to HTTP statuses and JSON-RPC codes, used both
 * for a refusal of the whole HTTP request ({@link httpErrorOf}) and for one JSON-RPC request's
 * error inside a 200 ({@link rpcErrorOf}); `data.code` always names the typed error.
 */
const ErrorMappings: Readonly<Partial<Record<ErrorCode, Mapping>>> = {
  [ErrorCode.SessionOwnerMismatch]: { status: 403, rpcCode: GatewayErrorCode.Forbidden },
  [ErrorCode.StorageUnavailable]: storeDown,
  [ErrorCode.StorageClosed]: storeDown,
  // A store script that fails is a bug, not an outage: no Retry-After.
  [ErrorCode.StorageScript]: {
    status: 500,
    rpcCode: GatewayErrorCode.InternalError,
    log: "error",
  },
  [ErrorCode.SessionDecode]: {
    status: 500,
    rpcCode: GatewayErrorCode.SessionCorrupt,
    message: (m) => `${m}; initialize a new session`,
  },
  [ErrorCode.TokenTooLarge]: {
    status: 431,
    rpcCode: GatewayErrorCode.Unauthenticated,
    headers: () => ({ connection: "close" }),
  },
  [ErrorCode.InvalidSessionId]: { status: 400, rpcCode: GatewayErrorCode.InvalidRequest },
  [ErrorCode.BatchTooLong]: { status: 400, rpcCode: GatewayErrorCode.InvalidRequest },
  [ErrorCode.SessionTooLarge]: { status: 400, rpcCode: GatewayErrorCode.InvalidParams },
  [ErrorCode.InitializeRateLimited]: {
    status: 429,
    rpcCode: GatewayErrorCode.LimitExceeded,
    headers: retryAfter,
  },
  [ErrorCode.TooManySessions]: {
    status: 429,
    rpcCode: GatewayErrorCode.LimitExceeded,
    headers: retryAfter,
  },
  [ErrorCode.TooManyModernRequests]: {
    status: 429,
    rpcCode: GatewayErrorCode.LimitExceeded,
    headers: retryAfter,
  },
  [ErrorCode.UnknownTool]: { status: 200, rpcCode: GatewayErrorCode.InvalidParams },
  [ErrorCode.UnknownResource]: { status: 200, rpcCode: GatewayErrorCode.InvalidParams },
  [ErrorCode.UnknownPrompt]: { status: 200, rpcCode: GatewayErrorCode.InvalidParams },
  [ErrorCode.InvalidCursor]: { status: 200, rpcCode: GatewayErrorCode.InvalidParams },
  [ErrorCode.InvalidRequestParams]: { status: 200, rpcCode: GatewayErrorCode.InvalidParams },
  [ErrorCode.UnknownTask]: { status: 200, rpcCode: GatewayErrorCode.InvalidParams },
  [ErrorCode.TaskIdConflict]: {
    status: 200,
    rpcCode: GatewayErrorCode.InternalError,
    log: "warn",
  },
  [ErrorCode.UnsupportedRequest]: { status: 200, rpcCode: GatewayErrorCode.MethodNotFound },
  [ErrorCode.BackendUnavailable]: {
    status: 200,
    rpcCode: GatewayErrorCode.BackendUnavailable,
    log: "warn",
  },
  [ErrorCode.BackendSessionExpired]: {
    status: 200,
    rpcCode: GatewayErrorCode.BackendUnavailable,
    log: "warn",
  },
  [ErrorCode.SessionBusy]: { status: 200, rpcCode: GatewayErrorCode.LimitExceeded },
  [ErrorCode.RequestCancelled]: { status: 200, rpcCode: GatewayErrorCode.InternalError },
  // Sent to the backend that made a server-to-client request, as its JSON-RPC error.
  [ErrorCode.ServerRequestTimeout]: { status: 200, rpcCode: GatewayErrorCode.InternalError },
  [ErrorCode.NoClientStream]: { status: 200, rpcCode: GatewayErrorCode.InternalError },
  [ErrorCode.TooManyServerRequests]: { status: 200, rpcCode: GatewayErrorCode.LimitExceeded },
  [ErrorCode.ServerRequestAbandoned]: { status: 200, rpcCode: GatewayErrorCode.InternalError },
  // A POSTed answer that cannot be accepted: an HTTP error status, as the spec asks.
  [ErrorCode.AnswerUnclaimed]: { status: 400, rpcCode: GatewayErrorCode.InvalidParams },
  [ErrorCode.StreamConflict]: { status: 409, rpcCode: GatewayErrorCode.InvalidRequest },
  // The session message bus could not carry an answer to the replica that waits for it.
  [ErrorCode.BusUnavailable]: busDown,
  [ErrorCode.BusClosed]: busDown,
  [ErrorCode.BusMessageTooLarge]: { status: 413, rpcCode: GatewayErrorCode.InvalidRequest },
  // A 2025-era session's call to a modern backend whose input_required rounds could not be served.
  [ErrorCode.InputRoundsExceeded]: {
    status: 200,
    rpcCode: GatewayErrorCode.LimitExceeded,
    log: "warn",
  },
  [ErrorCode.InputCapabilityMissing]: {
    status: 200,
    rpcCode: GatewayErrorCode.MissingRequiredClientCapability,
  },
  [ErrorCode.InputRequestFailed]: { status: 200, rpcCode: GatewayErrorCode.InternalError },
  [ErrorCode.TooManyResourceSubscriptions]: {
    status: 200,
    rpcCode: GatewayErrorCode.LimitExceeded,
  },
  [ErrorCode.BackendCallTimeout]: {
    status: 200,
    rpcCode: GatewayErrorCode.BackendUnavailable,
    log: "warn",
  },
  // A 2026-07-28 request whose Mcp-Param-* headers disagree with its body: the spec's 400 -32020.
  [ErrorCode.ParamHeaderMismatch]: { status: 400, rpcCode: GatewayErrorCode.HeaderMismatch },
  // A 2026-07-28 retry whose parked call (and so its backend request) cannot be reached.
  [ErrorCode.ParkedCallGone]: {
    status: 200,
    rpcCode: GatewayErrorCode.BackendUnavailable,
    log: "warn",
  },
  // Sent to a 2025-era backend whose mid-call request cannot become an input_required round.
  [ErrorCode.TooManyParkedCalls]: { status: 200, rpcCode: GatewayErrorCode.LimitExceeded },
  [ErrorCode.InputNotDeclared]: { status: 200, rpcCode: GatewayErrorCode.MethodNotFound },
};

/** An HTTP refusal: status, JSON-RPC error body and extra headers. */
export interface HttpErrorAnswer {
  readonly status: number;
  readonly body: JsonRpcErrorBody;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * How a failure of the whole HTTP request is answered: an `HttpJsonRpcError` as it says, a
 * verifier's `UnauthenticatedError` as 401 with `WWW-Authenticate`, a typed error by the table,
 * anything else 500 (-32603).
 */
export function httpErrorOf(error: unknown): HttpErrorAnswer {
  if (error instanceof HttpJsonRpcError) {
    return {
      status: error.status,
      body: { code: error.rpcCode, message: error.message },
      headers: error.headers,
    };
  }
  if (error instanceof UnauthenticatedError) {
    return {
      status: 401,
      body: {
        code: GatewayErrorCode.Unauthenticated,
        message: error.message,
        data: { code: error.code },
      },
      headers: { "www-authenticate": 'Bearer realm="vmcp-gateway"' },
    };
  }
  const code = errorCodeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  const mapping = code === undefined ? undefined : ErrorMappings[code];
  if (mapping === undefined || mapping.status === 200) {
    return { status: 500, body: { code: GatewayErrorCode.InternalError, message }, headers: {} };
  }
  return {
    status: mapping.status,
    body: { code: mapping.rpcCode, message: mapping.message?.(message) ?? message, data: { code } },
    headers: mapping.headers?.(error) ?? {},
  };
}

/** What {@link rpcErrorOf} found: the JSON-RPC error, and how the failure should be logged. */
export interface RpcErrorAnswer {
  readonly body: JsonRpcErrorBody;
  /** `warn` for a backend failure, `error` for an unexpected one, `undefined` for none. */
  readonly log?: "warn" | "error";
}

/**
 * One JSON-RPC request's error (inside a 200): a request the client cancelled (`signal`'s reason), a typed error by the table (a backend
 * failure names its `workloadId`; an error's own `rpcData` fields join `data`), a backend's own JSON-RPC error passed through unchanged,
 * anything else -32603.
 */
export function rpcErrorOf(error: unknown, signal?: AbortSignal): RpcErrorAnswer {
  // A client's cancellation (`RequestCancelledError`, known by its code) is what the request met,
  // whatever the backend call threw on its way out.
  const cancelled = errorCodeOf(signal?.reason) === ErrorCode.RequestCancelled;
  const failure: unknown = cancelled ? signal?.reason : error;
  const code = errorCodeOf(failure);
  const message = failure instanceof Error ? failure.message : String(failure);
  const mapping = code === undefined ? undefined : ErrorMappings[code];
  if (mapping !== undefined) {
    const workloadId = (failure as { workloadId?: unknown }).workloadId;
    const backend = mapping.rpcCode === GatewayErrorCode.BackendUnavailable;
    // An error may add fields of its own to `data` (`rpcData`), e.g. the capabilities it needs.
    const extra = (failure as { rpcData?: unknown }).rpcData;
    const data = {
      ...(typeof extra === "object" && extra !== null ? extra : {}),
      ...(backend ? { code, workloadId } : { code }),
    };
    const body = { code: mapping.rpcCode, message, data };
    return mapping.log === undefined ? { body } : { body, log: mapping.log };
  }
  const rpcCode = codeOf(failure);
  if (typeof rpcCode === "number" && Number.isInteger(rpcCode)) {
    // A JSON-RPC error the backend returned (McpError): pass it through.
    const data = (failure as { data?: unknown }).data;
    return {
      body: data === undefined ? { code: rpcCode, message } : { code: rpcCode, message, data },
    };
  }
  return { body: { code: GatewayErrorCode.InternalError, message }, log: "error" };
}

function codeOf(error: unknown): unknown {
  return typeof error === "object" && error !== null && "code" in error ? error.code : undefined;
}
