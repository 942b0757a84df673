import type { SessionMessageBus } from "@vmcp/session-core/storage";
import type { BusFaults, BusFixture } from "./bus-test-api.js";

/** What each group of bus cases needs while it runs. */
export interface BusSuiteContext {
  /** The bus under test for the running test. */
  bus(): SessionMessageBus;
  /** Another bus on the same server (a second replica), or the same bus for an in-process one. */
  replica(): Promise<SessionMessageBus>;
  /** The fault controls. @throws {Error} when the fixture gives none. */
  faults(): BusFaults;
}

/** Holds one test's bus fixture and every replica opened from it, so the suite can close it all. */
export class BusFixtureHolder implements BusSuiteContext {
  #fixture: BusFixture | undefined;
  readonly #opened: SessionMessageBus[] = [];

  /** Installs the fixture of the test about to run. */
  use(fixture: BusFixture): void {
    this.#fixture = fixture;
  }

  bus(): SessionMessageBus {
    return this.#current().bus;
  }

  async replica(): Promise<SessionMessageBus> {
    const fixture = this.#current();
    if (fixture.openReplica === undefined) return fixture.bus;
    const replica = await fixture.openReplica();
    this.#opened.push(replica);
    return replica;
  }

  faults(): BusFaults {
    const faults = this.#current().faults;
    if (faults === undefined) {
      throw new Error("bus conformance suite: the options declare faults, the fixture gives none");
    }
    return faults;
  }

  /** Closes the replicas and the bus, then disposes of the fixture. */
  async release(): Promise<void> {
    const fixture = this.#fixture;
    this.#fixture = undefined;
    const opened = this.#opened.splice(0);
    for (const bus of opened) await bus.close();
    if (fixture === undefined) return;
    await fixture.bus.close();
    await fixture.dispose?.();
  }

  #current(): BusFixture {
    if (this.#fixture === undefined) throw new Error("bus conformance suite: no bus set up");
    return this.#fixture;
  }
}
