/**
 * @vmcp/session-core: the session record, the one `SessionStorage` interface every store
 * implements, the errors every store throws, and session ID generation and validation.
 * @packageDocumentation
 */
export {
  InvalidSessionIdError,
  InvalidSessionInputError,
  SessionDecodeError,
  SessionVersionConflictError,
  StorageClosedError,
  StorageUnavailableError,
  VmcpSessionError,
} from "./errors.js";
export {
  assertValidSessionId,
  generateSessionId,
  isValidSessionId,
  MaxSessionIdLength,
  SessionIdEntropyBytes,
  sessionIdProblem,
} from "./session-id.js";
export type {
  NewSession,
  SessionMetadata,
  SessionPatch,
  SessionRecord,
} from "./session-record.js";
export type {
  ListOptions,
  LoadOptions,
  SessionStorage,
  UpdateOptions,
} from "./session-storage.js";
export { checkDeadline, checkNewSession, checkPatch, checkVersion } from "./storage-input.js";
