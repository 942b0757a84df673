/**
 * @vmcp/store-memory: an in-process, bounded LRU `SessionStorage`, the embedded default of
 * vmcp-sessions.
 * @packageDocumentation
 */
export { DefaultMaxSessions, MemoryStorage, type MemoryStorageOptions } from "./memory-storage.js";
