/**
 * @vmcp/storage-test-suite: the conformance suites every `SessionStorage` and every
 * `SessionMessageBus` run in their own tests, with the test functions of whatever runner they use.
 * @packageDocumentation
 */
export { describeSessionMessageBusConformance } from "./bus/conformance.js";
export type { BusConformanceOptions, BusFaults, BusFixture } from "./bus/test-api.js";
export type { TestApi } from "./shared/test-api.js";
export { describeSessionStorageConformance } from "./storage/conformance.js";
export type { ConformanceOptions, StorageFixture } from "./storage/test-api.js";
