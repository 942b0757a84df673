import type { SessionStorage } from "@vmcp/session-core/storage";

/** What {@link ConformanceOptions.setup} hands the suite for one test. */
export interface StorageFixture {
  /** The storage under test. It must hold no sessions. The suite closes it after the test. */
  readonly storage: SessionStorage;
  /**
   * Opens another storage over the same data with its own connection, as a second replica
   * would. The suite closes each one it opens. Omit it for an in-process store: every writer
   * in the concurrency tests then shares `storage`.
   */
  readonly openReplica?: () => Promise<SessionStorage>;
  /** Called after the test, once the suite has closed every storage it opened. */
  readonly dispose?: () => Promise<void>;
}

/** Options for `describeSessionStorageConformance`. */
export interface ConformanceOptions {
  /** The name of the top-level group, e.g. `"MemoryStorage"`. */
  readonly name: string;
  /** Called before each test: a fresh, empty storage (for example under a unique key prefix). */
  readonly setup: () => Promise<StorageFixture>;
}
