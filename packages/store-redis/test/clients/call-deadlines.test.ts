import { afterEach, describe, expect, it, vi } from "vitest";
import { CallDeadlines } from "../../dist/clients/call-deadlines.js";

afterEach(() => {
  vi.useRealTimers();
});

describe("CallDeadlines: one timer for the calls of a turn", () => {
  it("times out the calls of a turn that have not settled, after the bound, with one timer", async () => {
    vi.useFakeTimers();
    const deadlines = new CallDeadlines(500);
    const timedOut: string[] = [];
    const settleA = deadlines.watch(() => timedOut.push("a"));
    deadlines.watch(() => timedOut.push("b"));
    deadlines.watch(() => timedOut.push("c"));
    expect(vi.getTimerCount()).toBe(1);
    settleA();
    vi.advanceTimersByTime(499);
    expect(timedOut).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(timedOut).toEqual(["b", "c"]);
  });

  it("clears the timer once every call of the turn has settled, and a new turn gets its own", async () => {
    vi.useFakeTimers();
    const deadlines = new CallDeadlines(500);
    const timedOut: string[] = [];
    const settle = [
      deadlines.watch(() => timedOut.push("a")),
      deadlines.watch(() => timedOut.push("b")),
    ];
    for (const done of settle) done();
    // Settling twice changes nothing.
    settle[0]?.();
    expect(vi.getTimerCount()).toBe(0);
    // The turn ends: the next call starts a new timer.
    await new Promise<void>((resolve) => process.nextTick(resolve));
    deadlines.watch(() => timedOut.push("c"));
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(500);
    expect(timedOut).toEqual(["c"]);
  });
});
