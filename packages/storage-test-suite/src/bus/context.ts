import type { SessionMessageBus } from "@vmcp/session-core/storage";
import { FixtureHolder } from "../shared/suite.js";
import type { BusFaults, BusFixture } from "./test-api.js";

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
export class BusFixtureHolder
  extends FixtureHolder<BusFixture, SessionMessageBus>
  implements BusSuiteContext
{
  constructor() {
    super((fixture) => fixture.bus, "bus conformance suite: no bus set up");
  }

  bus(): SessionMessageBus {
    return this.subject();
  }

  faults(): BusFaults {
    const faults = this.current().faults;
    if (faults === undefined) {
      throw new Error("bus conformance suite: the options declare faults, the fixture gives none");
    }
    return faults;
  }
}
