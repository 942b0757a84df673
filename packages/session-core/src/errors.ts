/**
 * The errors every part of vmcp-sessions throws. Each has a stable `code` from the one `ErrorCode`
 * table, so callers can branch without `instanceof` across package copies. "Not found" is never an
 * error: it is `undefined`. The base class and the table live in `@vmcp/session-keys` (the
 * dependency-free bottom of the import graph) so the key schema's errors share them; this package
 * re-exports both.
 */
import { ErrorCode, VmcpSessionError } from "@vmcp/session-keys";

export { ErrorCode, errorCodeOf, isErrorCode, VmcpSessionError } from "@vmcp/session-keys";

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

function describe(value: unknown): string {
  if (typeof value !== "string") return `(${value === null ? "null" : typeof value})`;
  const shown = value.length > 64 ? `${value.slice(0, 64)}…` : value;
  return JSON.stringify(shown);
}

/**
 * Why a caller was refused a bound session, for the operator's log (never for the caller):
 * - `anonymous`: the caller brought no identity;
 * - `other-identity`: the caller's issuer or subject differs from the stored owner's;
 * - `unverified-binding`: the caller's issuer and subject are the stored owner's, but the stored
 *   binding does not verify under this replica's secret: the replica that wrote it uses another
 *   binding secret (or the record was altered in the store).
 */
export type SessionOwnerMismatchReason = "anonymous" | "other-identity" | "unverified-binding";

/**
 * The caller's identity is not the one the session is bound to (or the session is bound and the
 * caller brought none). Every replica raises it for the same session, since the binding lives in
 * the stored metadata. Map it to HTTP 403. The message is the same whatever the `reason`, so a
 * caller learns nothing from it.
 */
export class SessionOwnerMismatchError extends VmcpSessionError {
  readonly code = ErrorCode.SessionOwnerMismatch;
  /** The session the caller tried to use. */
  readonly sessionId: string;
  /** Why the caller was refused: for logs, not for the caller. Default `"other-identity"`. */
  readonly reason: SessionOwnerMismatchReason;

  constructor(sessionId: string, reason: SessionOwnerMismatchReason = "other-identity") {
    super(`session ${JSON.stringify(sessionId)} belongs to another identity`);
    this.sessionId = sessionId;
    this.reason = reason;
  }
}

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

/** A tool name that no connected backend offers under that exposed name. Map it to a JSON-RPC invalid-params error. */
export class UnknownToolError extends VmcpSessionError {
  readonly code = ErrorCode.UnknownTool;
  /** The exposed tool name the caller asked for. */
  readonly toolName: string;

  constructor(toolName: string) {
    super(`no connected backend offers a tool named ${JSON.stringify(toolName)}`);
    this.toolName = toolName;
  }
}

/** A resource URI that no connected backend lists. */
export class UnknownResourceError extends VmcpSessionError {
  readonly code = ErrorCode.UnknownResource;
  /** The URI the caller asked for. */
  readonly uri: string;

  constructor(uri: string) {
    super(`no connected backend offers a resource ${JSON.stringify(uri)}`);
    this.uri = uri;
  }
}

/** A prompt name that no connected backend offers under that exposed name. */
export class UnknownPromptError extends VmcpSessionError {
  readonly code = ErrorCode.UnknownPrompt;
  /** The exposed prompt name the caller asked for. */
  readonly promptName: string;

  constructor(promptName: string) {
    super(`no connected backend offers a prompt named ${JSON.stringify(promptName)}`);
    this.promptName = promptName;
  }
}

/** A call on a `SessionManager` or `MultiSession` after its `close()`. */
export class SessionClosedError extends VmcpSessionError {
  readonly code = ErrorCode.SessionClosed;

  constructor(what: string) {
    super(`${what} is closed`);
  }
}

/** A session ID that a live stored session already holds (`SessionStorage.create` answered false). */
export class SessionExistsError extends VmcpSessionError {
  readonly code = ErrorCode.SessionExists;
  /** The ID already taken. */
  readonly sessionId: string;

  constructor(sessionId: string) {
    super(`session ${JSON.stringify(sessionId)} already exists`);
    this.sessionId = sessionId;
  }
}

/**
 * What a client sent, or what a session would store, is larger than its configured byte bound
 * (client info at `initialize`, one metadata value, or the whole metadata). Nothing is stored.
 * Map it to a JSON-RPC invalid-params error at `initialize`.
 */
export class SessionTooLargeError extends VmcpSessionError {
  readonly code = ErrorCode.SessionTooLarge;
  /** What is too large: `"client info"`, `"metadata"` or `metadata value <key>`. */
  readonly what: string;
  /** Its size, UTF-8 bytes. */
  readonly bytes: number;
  /** The bound it exceeds, UTF-8 bytes. */
  readonly limitBytes: number;

  constructor(what: string, bytes: number, limitBytes: number) {
    super(`${what} is ${bytes} bytes, more than the limit of ${limitBytes} bytes`);
    this.what = what;
    this.bytes = bytes;
    this.limitBytes = limitBytes;
  }
}

/**
 * A session already has its maximum of backend requests in flight and its queue of waiting ones
 * is full: this request is refused without being sent. Retry later.
 */
export class SessionBusyError extends VmcpSessionError {
  readonly code = ErrorCode.SessionBusy;
  /** The session that is busy. */
  readonly sessionId: string;
  /** Its bound on backend requests in flight. */
  readonly maxConcurrent: number;
  /** Its bound on backend requests waiting for a slot. */
  readonly maxQueued: number;

  constructor(sessionId: string, maxConcurrent: number, maxQueued: number) {
    super(
      `session ${JSON.stringify(sessionId)} is busy: ${maxConcurrent} backend requests in flight and ${maxQueued} waiting; retry later`,
    );
    this.sessionId = sessionId;
    this.maxConcurrent = maxConcurrent;
    this.maxQueued = maxQueued;
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
