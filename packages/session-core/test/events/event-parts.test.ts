import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it, vi } from "vitest";
import { AnnouncementSchedule } from "../../src/events/announcement-schedule.js";
import { decodeFrame, encodeFrame } from "../../src/events/event-frame.js";
import { SequenceGaps } from "../../src/events/sequence-gaps.js";
import { readServerEvent } from "../../src/events/server-event.js";

describe("readServerEvent", () => {
  it("keeps the four kinds with their known fields only, as fresh objects", () => {
    const params = { _meta: { "example.com/x": 1 }, extra: "kept" };
    expect(readServerEvent({ kind: "tools_list_changed", uri: "ignored", other: 1 })).toEqual({
      kind: "tools_list_changed",
    });
    expect(readServerEvent({ kind: "prompts_list_changed", params })).toEqual({
      kind: "prompts_list_changed",
      params,
    });
    expect(readServerEvent({ kind: "resources_list_changed" })).toEqual({
      kind: "resources_list_changed",
    });
    const input = { kind: "resource_updated", uri: "file:///a" };
    const read = readServerEvent(input);
    expect(read).toEqual(input);
    expect(read).not.toBe(input);
  });

  it("says why anything else is not an event", () => {
    expect(readServerEvent(null)).toMatch(/not an object/);
    expect(readServerEvent([])).toMatch(/not an object/);
    expect(readServerEvent({ kind: "tools/list_changed" })).toMatch(/is not one of/);
    expect(readServerEvent({ kind: 7 })).toMatch(/kind number is not one of/);
    expect(readServerEvent({ kind: "resource_updated" })).toMatch(/non-empty string uri/);
    expect(readServerEvent({ kind: "resource_updated", uri: "" })).toMatch(/non-empty/);
    expect(readServerEvent({ kind: "tools_list_changed", params: [1] })).toMatch(/params/);
    expect(readServerEvent({ kind: "tools_list_changed", params: { _meta: "x" } })).toMatch(
      /_meta/,
    );
  });
});

describe("event frames", () => {
  it("round-trip an event and a probe", () => {
    const frame = {
      source: "s1",
      seq: 3,
      event: { kind: "resource_updated", uri: "a:b" },
    } as const;
    expect(decodeFrame(encodeFrame(frame))).toEqual(frame);
    expect(decodeFrame(encodeFrame({ source: "s1", seq: 4 }))).toEqual({ source: "s1", seq: 4 });
    expect(JSON.parse(encodeFrame({ source: "s1", seq: 4 }))).toEqual({
      v: 1,
      source: "s1",
      seq: 4,
    });
  });

  it("refuse what is not a version 1 frame of a valid event", () => {
    const ok = { v: 1, source: "s", seq: 1 };
    const cases: Array<[unknown, RegExp]> = [
      ["{", /not JSON/],
      ["[1]", /not a JSON object/],
      [JSON.stringify({ ...ok, v: 2 }), /version 2/],
      [JSON.stringify({ ...ok, source: "" }), /source/],
      [JSON.stringify({ ...ok, source: "x".repeat(65) }), /source/],
      [JSON.stringify({ ...ok, seq: 0 }), /seq/],
      [JSON.stringify({ ...ok, seq: 1.5 }), /seq/],
      [JSON.stringify({ ...ok, event: { kind: "nope" } }), /kind/],
    ];
    for (const [message, problem] of cases) {
      expect(decodeFrame(typeof message === "string" ? message : String(message))).toMatch(problem);
    }
  });
});

describe("SequenceGaps", () => {
  it("counts the frames skipped per source; new sources and late frames count none", () => {
    const gaps = new SequenceGaps(8);
    expect(gaps.observe("a", 5)).toBe(0); // first heard of: its history is unknown
    expect(gaps.observe("a", 6)).toBe(0);
    expect(gaps.observe("a", 9)).toBe(2);
    expect(gaps.observe("a", 8)).toBe(0); // late: not a gap, and the last number stays 9
    expect(gaps.observe("a", 10)).toBe(0);
    expect(gaps.observe("b", 1)).toBe(0);
    expect(gaps.observe("b", 3)).toBe(1);
  });

  it("forgets the source heard from least recently past its bound", () => {
    const gaps = new SequenceGaps(2);
    gaps.observe("a", 1);
    gaps.observe("b", 1);
    gaps.observe("a", 2); // a is now the most recent
    gaps.observe("c", 1); // b goes
    expect(gaps.size).toBe(2);
    expect(gaps.observe("b", 5)).toBe(0); // new again: no gap
    expect(gaps.observe("c", 3)).toBe(1); // c is still remembered
    expect(gaps.observe("a", 9)).toBe(0); // b pushed a out: new again
  });
});

describe("AnnouncementSchedule", () => {
  it("joins asks into one announcement, and spaces announcements by the interval", async () => {
    let clock = 0;
    let runs = 0;
    const schedule = new AnnouncementSchedule(
      1_000,
      () => runs++,
      () => clock,
    );
    schedule.request();
    schedule.request();
    expect(schedule.pending).toBe(true);
    await sleep(5);
    expect(runs).toBe(1);
    expect(schedule.pending).toBe(false);
    clock = 400; // 600 ms of the interval left: put off
    schedule.request();
    schedule.request();
    expect(schedule.pending).toBe(true);
    await sleep(5);
    expect(runs).toBe(1);
    schedule.close();
    expect(schedule.pending).toBe(false);
    schedule.request();
    expect(schedule.pending).toBe(false);
    expect(runs).toBe(1);
  });

  it("runs a put-off announcement once the interval has passed since the last one", () => {
    // Fake timers and clock: Node starts a timer from the event loop's cached time, so against
    // a real clock a timer may fire a little "early".
    vi.useFakeTimers();
    try {
      const runs: number[] = [];
      const schedule = new AnnouncementSchedule(50, () => runs.push(Date.now()), Date.now);
      const start = Date.now();
      schedule.request();
      vi.advanceTimersByTime(0);
      expect(runs).toEqual([start]);
      vi.advanceTimersByTime(10);
      schedule.request(); // 40 ms of the interval left
      vi.advanceTimersByTime(39);
      expect(runs).toHaveLength(1);
      vi.advanceTimersByTime(1);
      expect(runs).toEqual([start, start + 50]);
      schedule.request(); // right after one: the whole interval again
      vi.advanceTimersByTime(49);
      expect(runs).toHaveLength(2);
      vi.advanceTimersByTime(1);
      expect(runs).toEqual([start, start + 50, start + 100]);
      schedule.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
