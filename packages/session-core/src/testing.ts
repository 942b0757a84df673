/**
 * `@vmcp/session-core/testing`: helpers for unit tests of code that uses a `SessionStorage`.
 * Kept out of the main entry so production imports stay small.
 */
export { ReferenceStorage } from "./storage/reference-storage.js";
