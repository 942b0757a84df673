import type { SessionStorage } from "@vmcp/session-core/storage";
import { FixtureHolder } from "../shared/suite.js";
import type { StorageFixture } from "./test-api.js";

/** What each group of cases needs while it runs: the storage of the current test, and replicas. */
export interface SuiteContext {
  /** The storage under test for the running test. */
  storage(): SessionStorage;
  /** Another storage over the same data (a second replica), or the same storage for in-process stores. */
  replica(): Promise<SessionStorage>;
}

/** Holds one test's fixture and everything opened from it, so the suite can close it all. */
export class StorageFixtureHolder
  extends FixtureHolder<StorageFixture, SessionStorage>
  implements SuiteContext
{
  constructor() {
    super((fixture) => fixture.storage, "conformance suite: no storage set up");
  }

  storage(): SessionStorage {
    return this.subject();
  }
}
