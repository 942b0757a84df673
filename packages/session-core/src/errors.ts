/**
 * The errors every part of vmcp-sessions throws. Each has a stable `code`, so callers can branch
 * without `instanceof` across package copies. "Not found" is never an error: it is `undefined`.
 */

/** The base class of every vmcp-sessions error. */
export abstract class VmcpSessionError extends Error {
  /** Stable machine-readable code, `VMCP_*`. */
  abstract readonly code: string;
}

/** A session ID that is not a string of 1 to 256 visible ASCII characters (0x21 to 0x7E). */
export class InvalidSessionIdError extends VmcpSessionError {
  readonly code = "VMCP_INVALID_SESSION_ID";
  /** The refused ID, exactly as given. */
  readonly sessionId: unknown;

  constructor(sessionId: unknown, reason: string) {
    super(`invalid session ID ${describe(sessionId)}: ${reason}`);
    this.name = "InvalidSessionIdError";
    this.sessionId = sessionId;
  }
}

/** An argument to a storage call that breaks its contract (a non-string metadata value, a bad deadline, ...). */
export class InvalidSessionInputError extends VmcpSessionError {
  readonly code = "VMCP_INVALID_SESSION_INPUT";

  constructor(message: string) {
    super(message);
    this.name = "InvalidSessionInputError";
  }
}

/** A stored value that cannot be decoded into a session record. Other sessions are unaffected. */
export class SessionDecodeError extends VmcpSessionError {
  readonly code = "VMCP_SESSION_DECODE";
  /** The session whose stored value is corrupt or of a foreign type. */
  readonly sessionId: string;

  constructor(sessionId: string, reason: string, options?: ErrorOptions) {
    super(`session ${JSON.stringify(sessionId)} cannot be decoded: ${reason}`, options);
    this.name = "SessionDecodeError";
    this.sessionId = sessionId;
  }
}

/**
 * The store cannot be reached or did not answer within its bound. Raised within a bounded time,
 * never a hang; the operation may or may not have been applied.
 */
export class StorageUnavailableError extends VmcpSessionError {
  readonly code = "VMCP_STORAGE_UNAVAILABLE";

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StorageUnavailableError";
  }
}

/** A call on a storage after its `close()`. */
export class StorageClosedError extends VmcpSessionError {
  readonly code = "VMCP_STORAGE_CLOSED";

  constructor() {
    super("the session storage is closed");
    this.name = "StorageClosedError";
  }
}

/** A conditional update whose expected version no longer matches the stored one. Reload and retry. */
export class SessionVersionConflictError extends VmcpSessionError {
  readonly code = "VMCP_SESSION_VERSION_CONFLICT";
  /** The session that changed under the caller. */
  readonly sessionId: string;
  /** The version the caller expected. */
  readonly expectedVersion: number;

  constructor(sessionId: string, expectedVersion: number) {
    super(
      `session ${JSON.stringify(sessionId)} changed since version ${expectedVersion}; reload and retry`,
    );
    this.name = "SessionVersionConflictError";
    this.sessionId = sessionId;
    this.expectedVersion = expectedVersion;
  }
}

function describe(value: unknown): string {
  if (typeof value !== "string") return `(${value === null ? "null" : typeof value})`;
  const shown = value.length > 64 ? `${value.slice(0, 64)}…` : value;
  return JSON.stringify(shown);
}
