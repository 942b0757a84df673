/**
 * @vmcp/store-memory: an in-process, bounded LRU `SessionStorage`, the embedded default of
 * vmcp-sessions, and the in-process `SessionMessageBus` beside it.
 * @packageDocumentation
 */
export {
  DefaultMaxPendingMessages,
  InProcessMessageBus,
  type InProcessMessageBusOptions,
} from "./in-process-message-bus.js";
export { DefaultMaxSessions, MemoryStorage, type MemoryStorageOptions } from "./memory-storage.js";
