/** The errors of backend connections: connecting, a backend session that expired, a lost backend, a missing SDK. */
import { VmcpSessionError } from "@vmcp/session-keys";
import { ErrorCode } from "../error-codes.js";

/** A backend could not be connected: unreachable, refused `initialize`, or did not answer within the connect timeout. */
export class BackendConnectError extends VmcpSessionError {
  readonly code = ErrorCode.BackendConnect;
  /** The backend's workload ID. */
  readonly workloadId: string;

  constructor(workloadId: string, reason: string, options?: ErrorOptions) {
    super(`backend ${JSON.stringify(workloadId)} could not be connected: ${reason}`, options);
    this.workloadId = workloadId;
  }
}

/**
 * The backend no longer knows the backend session (it answered HTTP 404 for its
 * `Mcp-Session-Id`). A fresh `initialize` with a new transport opens a new backend session.
 */
export class BackendSessionExpiredError extends VmcpSessionError {
  readonly code = ErrorCode.BackendSessionExpired;
  /** The backend's workload ID. */
  readonly workloadId: string;
  /** The backend session ID the backend no longer knows. */
  readonly backendSessionId: string;

  constructor(workloadId: string, backendSessionId: string, options?: ErrorOptions) {
    super(
      `backend ${JSON.stringify(workloadId)} no longer knows session ${JSON.stringify(backendSessionId)}`,
      options,
    );
    this.workloadId = workloadId;
    this.backendSessionId = backendSessionId;
  }
}

/**
 * The connection to a backend is lost (network failure, closed stdio process) while a request
 * was in flight or about to be sent. The backend session may still exist on the backend.
 */
export class BackendUnavailableError extends VmcpSessionError {
  readonly code = ErrorCode.BackendUnavailable;
  /** The backend's workload ID. */
  readonly workloadId: string;

  constructor(workloadId: string, reason: string, options?: ErrorOptions) {
    super(`backend ${JSON.stringify(workloadId)} is unavailable: ${reason}`, options);
    this.workloadId = workloadId;
  }
}

/**
 * `McpBackendConnector` needs `@modelcontextprotocol/sdk`, an optional peer dependency of this
 * package that is not installed. Install it next to `@vmcp/session-core`
 * (`npm i @modelcontextprotocol/sdk`), or pass a `BackendConnector` of your own.
 */
export class McpSdkMissingError extends VmcpSessionError {
  readonly code = ErrorCode.McpSdkMissing;
  /** The package to install: `"@modelcontextprotocol/sdk"`. */
  readonly packageName = "@modelcontextprotocol/sdk";

  constructor(options?: ErrorOptions) {
    super(
      "McpBackendConnector needs the MCP SDK, an optional peer dependency that is not installed: run `npm i @modelcontextprotocol/sdk`",
      options,
    );
  }
}
