import type { SessionStorage } from "@vmcp/session-core/storage";
import type { StorageFixture } from "./test-api.js";

/** What each group of cases needs while it runs: the storage of the current test, and replicas. */
export interface SuiteContext {
  /** The storage under test for the running test. */
  storage(): SessionStorage;
  /** Another storage over the same data (a second replica), or the same storage for in-process stores. */
  replica(): Promise<SessionStorage>;
}

/** Holds one test's fixture and everything opened from it, so the suite can close it all. */
export class FixtureHolder implements SuiteContext {
  #fixture: StorageFixture | undefined;
  readonly #opened: SessionStorage[] = [];

  /** Installs the fixture of the test about to run. */
  use(fixture: StorageFixture): void {
    this.#fixture = fixture;
  }

  storage(): SessionStorage {
    if (this.#fixture === undefined) throw new Error("conformance suite: no storage set up");
    return this.#fixture.storage;
  }

  async replica(): Promise<SessionStorage> {
    const fixture = this.#fixture;
    if (fixture === undefined) throw new Error("conformance suite: no storage set up");
    if (fixture.openReplica === undefined) return fixture.storage;
    const replica = await fixture.openReplica();
    this.#opened.push(replica);
    return replica;
  }

  /** Closes the replicas and the storage, then disposes of the fixture. */
  async release(): Promise<void> {
    const fixture = this.#fixture;
    this.#fixture = undefined;
    const opened = this.#opened.splice(0);
    for (const storage of opened) await storage.close();
    if (fixture === undefined) return;
    await fixture.storage.close();
    await fixture.dispose?.();
  }
}
