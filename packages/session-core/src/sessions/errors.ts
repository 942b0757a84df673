/** The errors of live sessions: ownership, lifecycle, size and request bounds, and names no backend offers. */
import { VmcpSessionError } from "@vmcp/session-keys";
import { ErrorCode } from "../error-codes.js";

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

/** A call on a `SessionManager` or `MultiSession` after its `close()`. */
export class SessionClosedError extends VmcpSessionError {
  readonly code = ErrorCode.SessionClosed;

  constructor(what: string) {
    super(`${what} is closed`);
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
