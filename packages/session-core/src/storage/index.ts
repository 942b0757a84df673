/**
 * `@vmcp/session-core/storage`: what a store author needs, and nothing else. The two contracts
 * (`SessionStorage` with its record, `SessionMessageBus`), the errors a store or a bus throws,
 * the input checks every store calls before it touches its backing store, and the bounds every
 * bus shares. `@vmcp/store-memory`, `@vmcp/store-redis` and `@vmcp/storage-test-suite` import
 * only from here. Users of the session layer import the same names from the package root.
 * @packageDocumentation
 */
export { checkBusMessage, warnBusHandlerError } from "./bus-input.js";
export {
  BusClosedError,
  BusMessageTooLargeError,
  BusUnavailableError,
  InvalidSessionIdError,
  InvalidSessionInputError,
  SessionDecodeError,
  SessionVersionConflictError,
  StorageClosedError,
  StorageListIncompleteError,
  StorageScriptError,
  StorageUnavailableError,
  type UnreachableListPart,
} from "./errors.js";
export {
  LocalMessageBus,
  type LocalMessageBusOptions,
  type LocalSubscriber,
} from "./local-message-bus.js";
export { MapStorage, type MapStorageOptions, type RecordTable } from "./map-storage.js";
export { assertValidSessionId, generateSessionId, MaxSessionIdLength } from "./session-id.js";
export {
  type BusMessageHandler,
  type BusSubscription,
  DefaultBusTimeoutMs,
  DefaultMaxBusMessageBytes,
  type SessionMessageBus,
} from "./session-message-bus.js";
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
export {
  type CheckedPatch,
  checkDeadline,
  checkNewSession,
  checkPatch,
  checkVersion,
} from "./storage-input.js";
