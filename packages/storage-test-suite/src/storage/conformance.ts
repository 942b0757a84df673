import { describeSuite } from "../shared/suite.js";
import type { TestApi } from "../shared/test-api.js";
import { concurrencyCases } from "./cases/concurrency.js";
import { createAndLoadCases } from "./cases/create-load.js";
import { deleteAndListCases } from "./cases/delete-list.js";
import { expiryCases } from "./cases/expiry.js";
import { isolationCases } from "./cases/isolation.js";
import { lifecycleCases } from "./cases/lifecycle.js";
import { roundTripCases } from "./cases/round-trip.js";
import { updateCases } from "./cases/update.js";
import { validationCases } from "./cases/validation.js";
import { StorageFixtureHolder } from "./context.js";
import type { ConformanceOptions } from "./test-api.js";

/**
 * Declares the `SessionStorage` conformance suite with the runner functions you pass in: one
 * group named `options.name` holding a sub-group per topic (create and load, round trips,
 * isolation, update, expiry, delete and list, validation, concurrency, lifecycle). Each test gets
 * a fresh storage from `options.setup` and closes everything it opened afterwards. The
 * expiry tests wait a few hundred milliseconds of real time; the whole suite takes a few seconds.
 *
 * @example
 * import { afterEach, beforeEach, describe, it } from "vitest";
 * describeSessionStorageConformance({ describe, it, beforeEach, afterEach }, {
 *   name: "MemoryStorage",
 *   setup: async () => ({ storage: new MemoryStorage() }),
 * });
 */
export function describeSessionStorageConformance(t: TestApi, options: ConformanceOptions): void {
  describeSuite(
    t,
    `${options.name} conforms to SessionStorage`,
    options.setup,
    new StorageFixtureHolder(),
    [
      ["create and load", createAndLoadCases],
      ["round trips", roundTripCases],
      ["isolation", isolationCases],
      ["update", updateCases],
      ["expiry", expiryCases],
      ["delete and list", deleteAndListCases],
      ["validation", validationCases],
      ["concurrency", concurrencyCases],
      ["lifecycle", lifecycleCases],
    ],
  );
}
