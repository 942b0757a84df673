/**
 * The errors of the storage and message bus contracts: what a store or a bus throws (and the input
 * checks it calls throw). "Not found" is never an error: it is `undefined`.
 */
import { VmcpSessionError } from "@vmcp/session-keys";
import { ErrorCode } from "../error-codes.js";

/** A session ID that is not a string of 1 to 256 visible ASCII characters (0x21 to 0x7E). */
export class InvalidSessionIdError extends VmcpSessionError {
  readonly code = ErrorCode.InvalidSessionId;
  /** The refused ID, exactly as given. */
  readonly sessionId: unknown;

  constructor(sessionId: unknown, reason: string) {
    super(`invalid session ID ${describe(sessionId)}: ${reason}`);
    this.sessionId = sessionId;
  }
}

function describe(value: unknown): string {
  if (typeof value !== "string") return `(${value === null ? "null" : typeof value})`;
  const shown = value.length > 64 ? `${value.slice(0, 64)}…` : value;
  return JSON.stringify(shown);
}

/**
 * An argument that breaks its contract: of a storage or bus call (a non-string metadata value, a
 * bad deadline, ...), or a session's client info that is not a `ClientInfoRecord`.
 */
export class InvalidSessionInputError extends VmcpSessionError {
  readonly code = ErrorCode.InvalidSessionInput;

  constructor(message: string) {
    super(message);
  }
}

/** A stored value that cannot be decoded into a session record. Other sessions are unaffected. */
export class SessionDecodeError extends VmcpSessionError {
  readonly code = ErrorCode.SessionDecode;
  /** The session whose stored value is corrupt or of a foreign type. */
  readonly sessionId: string;

  constructor(sessionId: string, reason: string, options?: ErrorOptions) {
    super(`session ${JSON.stringify(sessionId)} cannot be decoded: ${reason}`, options);
    this.sessionId = sessionId;
  }
}

/**
 * The store cannot be reached or did not answer within its bound. Raised within a bounded time,
 * never a hang; the operation may or may not have been applied.
 */
export class StorageUnavailableError extends VmcpSessionError {
  readonly code = ErrorCode.StorageUnavailable;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** A part of a store that a listing could not read: a node and, on a sharded store, its slots. */
export interface UnreachableListPart {
  /** The node that did not answer, e.g. `127.0.0.1:7000`. */
  readonly node: string;
  /**
   * The hash slot ranges, inclusive `[first, last]`, the node was to list (Redis Cluster: 0 to
   * 16383); empty for a store that is not sharded by slot.
   */
  readonly slotRanges: readonly (readonly [number, number])[];
}

/**
 * A listing that could not read every part of the store. Thrown after the last ID that could be
 * read: every ID yielded before it is valid, and `unreachable` names the parts whose sessions
 * were not listed (a primary down, its replica not yet promoted). Retry later for a whole list.
 */
export class StorageListIncompleteError extends VmcpSessionError {
  readonly code = ErrorCode.StorageListIncomplete;
  /** The parts of the store that were not listed. */
  readonly unreachable: readonly UnreachableListPart[];

  constructor(unreachable: readonly UnreachableListPart[], options?: ErrorOptions) {
    const parts = unreachable.map((part) =>
      part.slotRanges.length === 0
        ? part.node
        : `${part.node} (slots ${part.slotRanges
            .map(([first, last]) => (first === last ? `${first}` : `${first}-${last}`))
            .join(",")})`,
    );
    super(`the session list is incomplete: not reachable: ${parts.join("; ")}`, options);
    this.unreachable = unreachable;
  }
}

/** A call on a storage after its `close()`. */
export class StorageClosedError extends VmcpSessionError {
  readonly code = ErrorCode.StorageClosed;

  constructor() {
    super("the session storage is closed");
  }
}

/**
 * A store's server-side script failed (for a Redis store: a Lua error other than `NOSCRIPT`).
 * That is a bug in the store or a value it was never meant to read, not an outage: retrying does
 * not help, so it is not a `StorageUnavailableError` and a gateway answers it without Retry-After.
 */
export class StorageScriptError extends VmcpSessionError {
  readonly code = ErrorCode.StorageScript;
  /** The storage operation whose script failed, e.g. `"update"`. */
  readonly operation: string;

  constructor(operation: string, message: string, options?: ErrorOptions) {
    super(`storage ${operation} failed in its script: ${message}`, options);
    this.operation = operation;
  }
}

/** A conditional update whose expected version no longer matches the stored one. Reload and retry. */
export class SessionVersionConflictError extends VmcpSessionError {
  readonly code = ErrorCode.SessionVersionConflict;
  /** The session that changed under the caller. */
  readonly sessionId: string;
  /** The version the caller expected. */
  readonly expectedVersion: number;

  constructor(sessionId: string, expectedVersion: number) {
    super(
      `session ${JSON.stringify(sessionId)} changed since version ${expectedVersion}; reload and retry`,
    );
    this.sessionId = sessionId;
    this.expectedVersion = expectedVersion;
  }
}

/**
 * The message bus cannot be reached or did not answer within its bound. Raised within a bounded
 * time, never a hang; a publish may or may not have reached its subscribers.
 */
export class BusUnavailableError extends VmcpSessionError {
  readonly code = ErrorCode.BusUnavailable;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** A call on a message bus after its `close()`. */
export class BusClosedError extends VmcpSessionError {
  readonly code = ErrorCode.BusClosed;

  constructor() {
    super("the session message bus is closed");
  }
}

/** A bus message over the bus's byte bound, refused before any I/O. */
export class BusMessageTooLargeError extends VmcpSessionError {
  readonly code = ErrorCode.BusMessageTooLarge;
  /** The message's size, UTF-8 bytes. */
  readonly bytes: number;
  /** The bound it went over, UTF-8 bytes. */
  readonly limitBytes: number;

  constructor(bytes: number, limitBytes: number) {
    super(`a bus message of ${bytes} bytes is over the bound of ${limitBytes} bytes`);
    this.bytes = bytes;
    this.limitBytes = limitBytes;
  }
}
