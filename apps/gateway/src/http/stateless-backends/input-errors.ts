import { VmcpSessionError } from "@vmcp/session-keys";
import { ErrorCode } from "../../error-codes.js";

/**
 * A modern backend that still answered `input_required` after the configured number of rounds
 * (`limits.maxInputRounds`): the call ends (-32005), the backend is not retried again.
 */
export class InputRoundsExceededError extends VmcpSessionError {
  readonly code = ErrorCode.InputRoundsExceeded;
  readonly workloadId: string;

  constructor(workloadId: string, method: string, maxRounds: number) {
    super(
      `backend ${JSON.stringify(workloadId)} still required input for ${method} after ${maxRounds} rounds (limits.maxInputRounds)`,
    );
    this.workloadId = workloadId;
  }
}

/**
 * A modern backend's input request of a kind the client declared no capability for at
 * `initialize` (sampling, elicitation in its mode, roots): the call fails (-32021, the
 * 2026-07-28 MissingRequiredClientCapability code) with `data.requiredCapabilities` naming what
 * the client would have to declare, and the client is asked nothing.
 */
export class InputCapabilityMissingError extends VmcpSessionError {
  readonly code = ErrorCode.InputCapabilityMissing;
  readonly workloadId: string;
  /** Joins the JSON-RPC error's `data`: the capabilities the input request needs. */
  readonly rpcData: { readonly requiredCapabilities: Record<string, unknown> };

  constructor(
    workloadId: string,
    key: string,
    method: string,
    requiredCapabilities: Record<string, unknown>,
  ) {
    super(
      `backend ${JSON.stringify(workloadId)} asked for ${method} (input request ${JSON.stringify(key)}), which the client did not declare (${Object.keys(requiredCapabilities).join(", ")})`,
    );
    this.workloadId = workloadId;
    this.rpcData = { requiredCapabilities };
  }
}

/**
 * One of a modern backend's input requests that could not be fulfilled: the client answered it
 * with an error, or the relay could not get its answer (`code` is then the relay's own:
 * `VMCP_SERVER_REQUEST_TIMEOUT` past `limits.serverRequestTimeoutMs`, `VMCP_NO_CLIENT_STREAM`,
 * `VMCP_TOO_MANY_SERVER_REQUESTS`, `VMCP_SERVER_REQUEST_ABANDONED`), or the backend sent an entry
 * that is no input request. The call fails with the code's JSON-RPC error.
 */
export class InputRequestFailedError extends VmcpSessionError {
  readonly code: ErrorCode;
  readonly workloadId: string;

  constructor(code: ErrorCode, workloadId: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.workloadId = workloadId;
  }
}

/**
 * A modern backend that did not answer one request of a 2025-era session's call within the call
 * bound (`modern.callTimeoutMs`, reset by each progress notification): -32004 naming it. Not a
 * `BackendUnavailableError`, so the session does not send the call again.
 */
export class BackendCallTimeoutError extends VmcpSessionError {
  readonly code = ErrorCode.BackendCallTimeout;
  readonly workloadId: string;

  constructor(workloadId: string, timeoutMs: number, options?: ErrorOptions) {
    super(`backend ${JSON.stringify(workloadId)} did not answer within ${timeoutMs} ms`, options);
    this.workloadId = workloadId;
  }
}
