import type { SessionStorage } from "@vmcp/session-core";
import { ReferenceStorage } from "@vmcp/session-core/testing";
import { describe, expect, it } from "vitest";
import {
  DeadlineIgnoringStorage,
  LaxIdStorage,
  LostUpdateStorage,
  NeverClosingStorage,
  ResurrectingStorage,
  SharingStorage,
} from "./broken-stores.js";
import { runSuite } from "./run-suite.js";

const run = (make: () => SessionStorage) => runSuite(async () => ({ storage: make() }));

// Each run below is the whole suite (its expiry cases wait out real deadlines, about 1 s each):
// the runs wait on timers, not CPU, so they run side by side, each bounded at 60 s.
describe("the conformance suite", { concurrent: true, timeout: 60_000 }, () => {
  it("passes a correct store on every one of its 50+ behaviours", async () => {
    const result = await run(() => new ReferenceStorage());
    expect(result.failed).toEqual([]);
    expect(result.tests.length).toBeGreaterThanOrEqual(50);
    expect(new Set(result.tests).size).toBe(result.tests.length);
  });

  it.each([
    [
      "a store that hands out its own objects",
      () => new SharingStorage(),
      [
        "store conforms to SessionStorage > isolation > mutating a loaded record never changes what is stored",
        "store conforms to SessionStorage > isolation > two loads return distinct objects",
      ],
    ],
    [
      "a store whose update resurrects",
      () => new ResurrectingStorage(),
      [
        "store conforms to SessionStorage > update > update of an unknown session returns false and creates nothing",
        "store conforms to SessionStorage > update > update never resurrects a deleted session",
      ],
    ],
    [
      "a store that ignores deadlines",
      () => new DeadlineIgnoringStorage(),
      [
        "store conforms to SessionStorage > expiry > a session is gone once its deadline passes: load, touch, delete and list agree",
      ],
    ],
    [
      "a store that loses concurrent writes",
      () => new LostUpdateStorage(),
      [
        "store conforms to SessionStorage > concurrency > two writers making 100 concurrent updates each to different keys lose none",
      ],
    ],
    [
      "a store that takes any session ID",
      () => new LaxIdStorage(),
      [
        "store conforms to SessionStorage > validation > every call refuses an invalid session ID with InvalidSessionIdError",
      ],
    ],
    [
      "a store that works on after close",
      () => new NeverClosingStorage(),
      [
        "store conforms to SessionStorage > lifecycle > close is idempotent, and every call after it rejects with StorageClosedError",
      ],
    ],
  ])("fails %s, on the behaviours it breaks", async (_, make, expected) => {
    const result = await run(make);
    for (const name of expected) expect(result.tests).toContain(name);
    expect(result.failed).toEqual(expect.arrayContaining(expected));
  });
});
