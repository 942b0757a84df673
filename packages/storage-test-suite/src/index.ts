/**
 * @vmcp/storage-test-suite: the conformance suite every `SessionStorage` runs in its own tests,
 * with the test functions of whatever runner it uses.
 * @packageDocumentation
 */
export { describeSessionStorageConformance } from "./conformance.js";
export type { ConformanceOptions, StorageFixture, TestApi } from "./test-api.js";
