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
  readonly code = "VMCP_STORAGE_LIST_INCOMPLETE";
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
    this.name = "StorageListIncompleteError";
    this.unreachable = unreachable;
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

/**
 * The caller's identity is not the one the session is bound to (or the session is bound and the
 * caller brought none). Every replica raises it for the same session, since the binding lives in
 * the stored metadata. Map it to HTTP 403.
 */
export class SessionOwnerMismatchError extends VmcpSessionError {
  readonly code = "VMCP_SESSION_OWNER_MISMATCH";
  /** The session the caller tried to use. */
  readonly sessionId: string;

  constructor(sessionId: string) {
    super(`session ${JSON.stringify(sessionId)} belongs to another identity`);
    this.name = "SessionOwnerMismatchError";
    this.sessionId = sessionId;
  }
}

/** A backend could not be connected: unreachable, refused `initialize`, or did not answer within the connect timeout. */
export class BackendConnectError extends VmcpSessionError {
  readonly code = "VMCP_BACKEND_CONNECT";
  /** The backend's workload ID. */
  readonly workloadId: string;

  constructor(workloadId: string, reason: string, options?: ErrorOptions) {
    super(`backend ${JSON.stringify(workloadId)} could not be connected: ${reason}`, options);
    this.name = "BackendConnectError";
    this.workloadId = workloadId;
  }
}

/**
 * The backend no longer knows the backend session (it answered HTTP 404 for its
 * `Mcp-Session-Id`). A fresh `initialize` with a new transport opens a new backend session.
 */
export class BackendSessionExpiredError extends VmcpSessionError {
  readonly code = "VMCP_BACKEND_SESSION_EXPIRED";
  /** The backend's workload ID. */
  readonly workloadId: string;
  /** The backend session ID the backend no longer knows. */
  readonly backendSessionId: string;

  constructor(workloadId: string, backendSessionId: string, options?: ErrorOptions) {
    super(
      `backend ${JSON.stringify(workloadId)} no longer knows session ${JSON.stringify(backendSessionId)}`,
      options,
    );
    this.name = "BackendSessionExpiredError";
    this.workloadId = workloadId;
    this.backendSessionId = backendSessionId;
  }
}

/**
 * The connection to a backend is lost (network failure, closed stdio process) while a request
 * was in flight or about to be sent. The backend session may still exist on the backend.
 */
export class BackendUnavailableError extends VmcpSessionError {
  readonly code = "VMCP_BACKEND_UNAVAILABLE";
  /** The backend's workload ID. */
  readonly workloadId: string;

  constructor(workloadId: string, reason: string, options?: ErrorOptions) {
    super(`backend ${JSON.stringify(workloadId)} is unavailable: ${reason}`, options);
    this.name = "BackendUnavailableError";
    this.workloadId = workloadId;
  }
}

/** A tool name that no connected backend offers under that exposed name. Map it to a JSON-RPC invalid-params error. */
export class UnknownToolError extends VmcpSessionError {
  readonly code = "VMCP_UNKNOWN_TOOL";
  /** The exposed tool name the caller asked for. */
  readonly toolName: string;

  constructor(toolName: string) {
    super(`no connected backend offers a tool named ${JSON.stringify(toolName)}`);
    this.name = "UnknownToolError";
    this.toolName = toolName;
  }
}

/** A resource URI that no connected backend lists. */
export class UnknownResourceError extends VmcpSessionError {
  readonly code = "VMCP_UNKNOWN_RESOURCE";
  /** The URI the caller asked for. */
  readonly uri: string;

  constructor(uri: string) {
    super(`no connected backend offers a resource ${JSON.stringify(uri)}`);
    this.name = "UnknownResourceError";
    this.uri = uri;
  }
}

/** A prompt name that no connected backend offers under that exposed name. */
export class UnknownPromptError extends VmcpSessionError {
  readonly code = "VMCP_UNKNOWN_PROMPT";
  /** The exposed prompt name the caller asked for. */
  readonly promptName: string;

  constructor(promptName: string) {
    super(`no connected backend offers a prompt named ${JSON.stringify(promptName)}`);
    this.name = "UnknownPromptError";
    this.promptName = promptName;
  }
}

/** A call on a `SessionManager` or `MultiSession` after its `close()`. */
export class SessionClosedError extends VmcpSessionError {
  readonly code = "VMCP_SESSION_CLOSED";

  constructor(what: string) {
    super(`${what} is closed`);
    this.name = "SessionClosedError";
  }
}

/** A session ID that a live stored session already holds (`SessionStorage.create` answered false). */
export class SessionExistsError extends VmcpSessionError {
  readonly code = "VMCP_SESSION_EXISTS";
  /** The ID already taken. */
  readonly sessionId: string;

  constructor(sessionId: string) {
    super(`session ${JSON.stringify(sessionId)} already exists`);
    this.name = "SessionExistsError";
    this.sessionId = sessionId;
  }
}

/**
 * What a client sent, or what a session would store, is larger than its configured byte bound
 * (client info at `initialize`, one metadata value, or the whole metadata). Nothing is stored.
 * Map it to a JSON-RPC invalid-params error at `initialize`.
 */
export class SessionTooLargeError extends VmcpSessionError {
  readonly code = "VMCP_SESSION_TOO_LARGE";
  /** What is too large: `"client info"`, `"metadata"` or `metadata value <key>`. */
  readonly what: string;
  /** Its size, UTF-8 bytes. */
  readonly bytes: number;
  /** The bound it exceeds, UTF-8 bytes. */
  readonly limitBytes: number;

  constructor(what: string, bytes: number, limitBytes: number) {
    super(`${what} is ${bytes} bytes, more than the limit of ${limitBytes} bytes`);
    this.name = "SessionTooLargeError";
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
  readonly code = "VMCP_SESSION_BUSY";
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
    this.name = "SessionBusyError";
    this.sessionId = sessionId;
    this.maxConcurrent = maxConcurrent;
    this.maxQueued = maxQueued;
  }
}
