import type { SessionOwnerMismatchError, SessionOwnerMismatchReason } from "@vmcp/session-core";
import { ErrorCode, errorCodeOf } from "../../error-codes.js";
import { withoutRepeats } from "../../log-redaction.js";
import type { GatewayLogger } from "../../logger.js";

/** Where an expected store unavailability happened, for its one warn line. */
export interface UnavailabilityFields {
  /** The store operation, e.g. `load` (from the error's `operation`, or its message). */
  readonly operation?: string;
  /** The store node, `host:port` (from the error's `node`, its cause's address, or a redirect). */
  readonly node?: string;
  /** The error's message without repeated parts. */
  readonly reason: string;
}

const NodePattern = /(?:MOVED|ASK) \d+ (\S+)|(?:connect|read|write) E[A-Z]+ (\S+)/;

/**
 * The operation and node of a store unavailability (a `StorageUnavailableError` or
 * `StorageClosedError`), taken from the error's `operation`/`node` fields when the store sets
 * them, else from its cause's `address`/`port`, else from its message (`Redis <operation> ...`,
 * `MOVED <slot> <node>`, `connect ECONNREFUSED <node>`).
 */
export function unavailabilityFields(error: unknown): UnavailabilityFields {
  const message = error instanceof Error ? error.message : String(error);
  const own = (error ?? {}) as { operation?: unknown; node?: unknown; cause?: unknown };
  const operation =
    typeof own.operation === "string" ? own.operation : /^Redis (\w+)/.exec(message)?.[1];
  let node = typeof own.node === "string" ? own.node : undefined;
  for (let cause = own.cause, i = 0; node === undefined && cause instanceof Error && i < 4; i++) {
    const { address, port } = cause as { address?: unknown; port?: unknown };
    if (typeof address === "string" && typeof port === "number") node = `${address}:${port}`;
    cause = cause.cause;
  }
  if (node === undefined) {
    const match = NodePattern.exec(message);
    node = match?.[1] ?? match?.[2];
  }
  return {
    ...(operation === undefined ? {} : { operation }),
    ...(node === undefined ? {} : { node }),
    reason: withoutRepeats(message),
  };
}

/** The `info` line of each {@link SessionOwnerMismatchReason}: what the operator should know. */
const OwnerMismatchLines: Readonly<Record<SessionOwnerMismatchReason, string>> = {
  anonymous: "session refused: it is bound to an identity and the caller brought none",
  "other-identity": "session refused: it is bound to another identity",
  "unverified-binding":
    "session refused: the caller is its owner, but its binding does not verify under this replica's binding secret (do all replicas share one bindingSecret?)",
};

/**
 * One `info` line for a caller refused a bound session (403), saying why, so a replica with
 * another binding secret is told apart from a hijack attempt; the session ID and the reason
 * only, never a token. The caller's answer does not change.
 */
function logOwnerMismatch(log: GatewayLogger, method: string | undefined, error: unknown): void {
  const { sessionId, reason } = error as Partial<SessionOwnerMismatchError>;
  const known = reason !== undefined && Object.hasOwn(OwnerMismatchLines, reason);
  log.info(
    { status: 403, method, sessionId, reason },
    known ? OwnerMismatchLines[reason] : "session refused: it belongs to another identity",
  );
}

/**
 * Logs one refused or failed `/mcp` request: an unreachable store (HTTP 503) is one warn line
 * with the operation and the node and no stack; a caller refused a bound session (403) is an
 * info line with the reason; a client that went away and every other 4xx are debug lines;
 * anything else at 500 is an error with its stack. `storeLabel` stands in for the node when the
 * error names none.
 */
export function logRequestFailure(
  log: GatewayLogger,
  method: string | undefined,
  status: number,
  message: string,
  error: unknown,
  storeLabel?: string,
): void {
  const code = errorCodeOf(error);
  if (code === ErrorCode.StorageUnavailable || code === ErrorCode.StorageClosed) {
    const fields = unavailabilityFields(error);
    const node = fields.node ?? storeLabel;
    log.warn(
      { status, code, method, ...fields, ...(node === undefined ? {} : { node }) },
      "session store unavailable",
    );
  } else if (code === ErrorCode.SessionOwnerMismatch) {
    logOwnerMismatch(log, method, error);
  } else if (status >= 500) {
    log.error({ err: error, status, method }, "request failed");
  } else if (code === ErrorCode.ClientClosed) {
    log.debug({ method }, "client closed the connection mid-request");
  } else {
    log.debug({ status, message }, "request refused");
  }
}
