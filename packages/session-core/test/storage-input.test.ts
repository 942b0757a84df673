import {
  checkDeadline,
  checkNewSession,
  checkPatch,
  checkVersion,
  InvalidSessionIdError,
  InvalidSessionInputError,
} from "@vmcp/session-core/storage";
import { describe, expect, it } from "vitest";

describe("checkNewSession", () => {
  it("returns a copy of the metadata that later changes to the input do not reach", () => {
    const metadata = { a: "1" };
    const checked = checkNewSession({ id: "s", metadata });
    metadata.a = "2";
    expect(checked).toEqual({ a: "1" });
  });

  it("keeps a __proto__ key as an ordinary own key", () => {
    const metadata = JSON.parse('{"__proto__":"x"}') as Record<string, string>;
    const checked = checkNewSession({ id: "s", metadata });
    expect(Object.getOwnPropertyDescriptor(checked, "__proto__")?.value).toBe("x");
    expect(Object.getPrototypeOf(checked)).toBe(Object.prototype);
  });

  it("names the offending key and type", () => {
    const metadata = { good: "1", bad: 2 } as unknown as Record<string, string>;
    expect(() => checkNewSession({ id: "s", metadata })).toThrow(
      new InvalidSessionInputError('metadata["bad"] must be a string, got number'),
    );
  });

  it("refuses an array as metadata, and a bad ID before anything else", () => {
    expect(() =>
      checkNewSession({ id: "s", metadata: [] as unknown as Record<string, string> }),
    ).toThrow(InvalidSessionInputError);
    expect(() =>
      checkNewSession({ id: "", metadata: { a: 1 } as unknown as Record<string, string> }),
    ).toThrow(InvalidSessionIdError);
  });
});

describe("checkPatch", () => {
  it("returns copies of set and remove", () => {
    const set = { a: "1" };
    const remove = ["b"];
    const checked = checkPatch({ set, remove, expiresAt: null });
    set.a = "2";
    remove.push("c");
    expect(checked).toEqual({ set: { a: "1" }, remove: ["b"], expiresAt: null });
  });

  it("refuses a key that is both set and removed, and empty keys", () => {
    expect(() => checkPatch({ set: { a: "1" }, remove: ["a"] })).toThrow(/both set and removed/);
    expect(() => checkPatch({ remove: [""] })).toThrow(InvalidSessionInputError);
    expect(() => checkPatch({ set: { "": "x" } })).toThrow(InvalidSessionInputError);
  });
});

describe("checkDeadline and checkVersion", () => {
  it("accept non-negative integer milliseconds and positive versions", () => {
    expect(checkDeadline(0, "d")).toBe(0);
    expect(checkDeadline(Date.now(), "d")).toBeGreaterThan(0);
    expect(checkVersion(1)).toBe(1);
  });

  it("refuse everything else, naming the field", () => {
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "1", null]) {
      expect(() => checkDeadline(bad, "expiresAt")).toThrow(/expiresAt must be/);
    }
    for (const bad of [0, -1, 2.5, "1"]) expect(() => checkVersion(bad)).toThrow(/ifVersion/);
  });
});
