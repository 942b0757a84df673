import type { SessionOwner } from "@vmcp/session-core";
import { VmcpSessionError } from "@vmcp/session-keys";
import { ErrorCode } from "../../../error-codes.js";

export { InvalidRequestStateError } from "./request-state-errors.js";

/**
 * The seam between the modern relay and the gateway's `requestState` sealing (MCP 2026-07-28
 * multi-round-trip requests). When a backend answers `input_required`, the relay hands the client
 * a token of the gateway's own that wraps the backend's state with its route; the client's retry
 * (on any replica) brings it back, and the relay opens it to reach the same backend with the
 * backend's own state. The sealing module (HMAC with the binding secret, bound to identity,
 * method, name, arguments digest and expiry, single use in the store: `SealedRequestStates`)
 * implements this; the relay only calls it.
 */
export interface RequestStatePort {
  /**
   * The token for one `input_required` round: authenticated, bound to `binding`, expiring.
   * @param route where the retry must go.
   * @param backendState the backend's own `requestState`, verbatim; absent when it sent none.
   */
  seal(
    route: RequestStateRoute,
    backendState: string | undefined,
    binding: RequestStateBinding,
  ): string | Promise<string>;
  /**
   * The route and backend state a token holds, once: a token opens at most one retry.
   * @throws {InvalidRequestStateError} for a token that is malformed, forged, expired, already
   *   used, or bound to another caller or request (`./request-state-errors.js`).
   */
  open(
    token: string,
    binding: RequestStateBinding,
  ): OpenedRequestState | Promise<OpenedRequestState>;
}

/** A 2025-era backend call parked on the replica holding its backend connection. */
export interface ParkedCallRoute {
  /** The holding replica's ID (its bus address). */
  readonly replicaId: string;
  /** The parked call's ID on that replica (random, 128 bits). */
  readonly callId: string;
}

/**
 * Where a sealed `requestState` leads: the backend that answered `input_required`, and for a
 * 2025-era backend's mid-call request, the parked call the retry resumes.
 */
export interface RequestStateRoute {
  /** The backend's workload ID. */
  readonly workloadId: string;
  /** The backend's own tool or prompt name, or the resource URI, that the retry asks for. */
  readonly target: string;
  /** Present for a parked 2025-era call: the retry resumes it instead of calling the backend. */
  readonly parked?: ParkedCallRoute;
}

/** What a sealed token holds once opened. */
export interface OpenedRequestState {
  readonly route: RequestStateRoute;
  /** The backend's own `requestState`, verbatim; absent when it sent none. */
  readonly backendState?: string;
}

/**
 * What a token is bound to: the same caller retrying the same request. A retry that differs in
 * any of these is refused.
 */
export interface RequestStateBinding {
  /** The verified caller; absent for an anonymous one. */
  readonly owner?: SessionOwner;
  /** The JSON-RPC method: `tools/call`, `prompts/get` or `resources/read`. */
  readonly method: string;
  /** The tool or prompt name, or the resource URI, as the client sent it. */
  readonly name: string;
  /** The request's `arguments` as the client sent them (the sealing module digests them). */
  readonly args: unknown;
}

/**
 * A backend answered `input_required` but no {@link RequestStatePort} was given to the gateway,
 * so the round cannot be relayed safely. Answered in-band as -32603.
 */
export class RequestStateUnavailableError extends VmcpSessionError {
  readonly code = ErrorCode.RequestStateUnavailable;
  /** The backend that asked for input. */
  readonly workloadId: string;

  constructor(workloadId: string) {
    super(
      `backend ${JSON.stringify(workloadId)} asked for client input (input_required), but this gateway has no requestState sealing to relay it with`,
    );
    this.workloadId = workloadId;
  }
}
