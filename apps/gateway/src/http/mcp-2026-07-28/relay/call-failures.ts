import { SdkError, SdkErrorCode } from "@modelcontextprotocol/client";
import { BackendUnavailableError, errorCodeOf } from "@vmcp/session-core";
import { failureReason } from "../../../log-redaction.js";
import type { GatewayLogger } from "../../../logger.js";
import { isEraOrTransportFailure } from "../../stateless-backends/backend-failure.js";
import type { ModernBackend, ModernBackends } from "../backends/modern-backends.js";

/** Options of {@link CallFailures}. */
export interface CallFailuresOptions {
  readonly backends: Pick<ModernBackends, "failed">;
  /** The bound each relayed call had, ms (named in the timeout's message). */
  readonly callTimeoutMs: number;
  readonly log: GatewayLogger;
}

/**
 * What a failed relayed call to a modern backend is answered with, for every relay of the modern
 * path: a backend that did not answer in time, or failed for transport or era (then its verdict
 * is replaced, see `ModernBackends.failed`), is -32004 naming it (`BackendUnavailableError`, a
 * `warn` line); anything else (the backend's own JSON-RPC error, the caller gone) is passed on
 * as it is.
 */
export class CallFailures {
  readonly #o: CallFailuresOptions;

  constructor(options: CallFailuresOptions) {
    this.#o = options;
  }

  /** The error to answer for `error`, thrown by a call to `backend` for a caller whose `signal` is given. */
  of(backend: ModernBackend, error: unknown, signal: AbortSignal): unknown {
    if (signal.aborted) return error;
    if (error instanceof SdkError && error.code === SdkErrorCode.RequestTimeout) {
      this.#o.log.warn({ workloadId: backend.workloadId }, "backend call timed out");
      return new BackendUnavailableError(
        backend.workloadId,
        `no answer within ${this.#o.callTimeoutMs} ms`,
        { cause: error },
      );
    }
    if (!isEraOrTransportFailure(error, signal)) return error;
    void this.#o.backends.failed(backend, error, signal);
    this.#o.log.warn(
      { workloadId: backend.workloadId, reason: failureReason(error) },
      "backend failed: its era is probed again",
    );
    return errorCodeOf(error) === undefined
      ? new BackendUnavailableError(backend.workloadId, failureReason(error), { cause: error })
      : error;
  }
}
