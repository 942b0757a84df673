import { VmcpSessionError } from "@vmcp/session-keys";
import { ErrorCode } from "../../../error-codes.js";

/** A backend's server-to-client request the client did not answer within the bound (sent to the backend). */
export class ServerRequestTimeoutError extends VmcpSessionError {
  readonly code = ErrorCode.ServerRequestTimeout;
  constructor(method: string, timeoutMs: number) {
    super(`the client did not answer ${method} within ${timeoutMs} ms`);
  }
}

/** A backend's server-to-client request with no client stream open to carry it (sent to the backend). */
export class NoClientStreamError extends VmcpSessionError {
  readonly code = ErrorCode.NoClientStream;
  constructor(method: string) {
    super(
      `no client stream is open to carry ${method}: no client request is in flight for it and no GET stream is open`,
    );
  }
}

/** A session over its bound of server-to-client requests waiting for answers (sent to the backend). */
export class TooManyServerRequestsError extends VmcpSessionError {
  readonly code = ErrorCode.TooManyServerRequests;
  constructor(limit: number) {
    super(`the session already has ${limit} server-to-client requests waiting for answers`);
  }
}

/** A server-to-client request whose client request ended, or whose replica closed, first (sent to the backend). */
export class ServerRequestAbandonedError extends VmcpSessionError {
  readonly code = ErrorCode.ServerRequestAbandoned;
}

/** A client's answer that no replica waits for: unknown ID, its request ended, or its replica is gone. */
export class AnswerUnclaimedError extends VmcpSessionError {
  readonly code = ErrorCode.AnswerUnclaimed;
  constructor(id: unknown, detail: string) {
    super(`no request waits for the answer ${JSON.stringify(id)}: ${detail}`);
  }
}

/** A second `GET /mcp` stream for a session that has one on this replica (HTTP 409, as the spec says). */
export class StreamConflictError extends VmcpSessionError {
  readonly code = ErrorCode.StreamConflict;
  constructor(sessionId: string) {
    super(`session ${JSON.stringify(sessionId)} already has a GET stream open`);
  }
}
