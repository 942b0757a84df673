import { VmcpSessionError } from "@vmcp/session-keys";
import { ErrorCode } from "./error-codes.js";

/** Configuration that cannot be used; `field` names the offending setting (e.g. `store.url`). */
export class GatewayConfigError extends VmcpSessionError {
  readonly code = ErrorCode.GatewayConfig;
  /** The dotted path of the bad field, e.g. `backends.1.url`, or `(config file)`. */
  readonly field: string;

  constructor(field: string, message: string, options?: ErrorOptions) {
    super(`invalid configuration: ${field}: ${message}`, options);
    this.field = field;
  }
}

/** A caller whose credentials are missing or do not verify (HTTP 401). */
export class UnauthenticatedError extends VmcpSessionError {
  readonly code = ErrorCode.Unauthenticated;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
