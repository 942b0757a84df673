import { VmcpSessionError } from "@vmcp/session-keys";
import { ErrorCode } from "../../../error-codes.js";

/**
 * A 2026-07-28 retry whose parked 2025-era call cannot be reached: the replica holding it died
 * or did not acknowledge in time (`ackTimeoutMs`), stopped sending heartbeats, or the call itself
 * timed out waiting for input or ended. Answered -32004 with `data.code`
 * `VMCP_PARKED_CALL_GONE` and the backend's `workloadId`; the client starts the request over.
 */
export class ParkedCallGoneError extends VmcpSessionError {
  readonly code = ErrorCode.ParkedCallGone;
  /** The backend the parked call went to. */
  readonly workloadId: string;

  constructor(workloadId: string, why: string) {
    super(`the parked call to backend ${JSON.stringify(workloadId)} is gone: ${why}`);
    this.workloadId = workloadId;
  }
}

/**
 * A 2025-era backend's mid-call request refused because this replica already holds its bound of
 * parked calls (`maxParkedCalls`): the backend gets it as its JSON-RPC error (-32005).
 */
export class TooManyParkedCallsError extends VmcpSessionError {
  readonly code = ErrorCode.TooManyParkedCalls;

  constructor(limit: number) {
    super(`this gateway replica holds its bound of ${limit} calls parked for client input`);
  }
}

/**
 * A 2025-era backend's mid-call request (`sampling/createMessage`, `elicitation/create`,
 * `roots/list`) for a 2026-07-28 caller whose envelope declared no matching client capability,
 * or one of a kind 2026-07-28 cannot carry: the backend gets it as its JSON-RPC error (-32601).
 */
export class InputNotDeclaredError extends VmcpSessionError {
  readonly code = ErrorCode.InputNotDeclared;

  constructor(method: string, why: string) {
    super(`${method} cannot be asked of this 2026-07-28 client: ${why}`);
  }
}
