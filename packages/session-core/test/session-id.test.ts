import {
  assertValidSessionId,
  generateSessionId,
  InvalidSessionIdError,
  isValidSessionId,
  MaxSessionIdLength,
} from "@vmcp/session-core";
import { describe, expect, it } from "vitest";

describe("generateSessionId", () => {
  it("makes 32 visible-ASCII characters carrying 192 random bits", () => {
    const id = generateSessionId();
    expect(id).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(Buffer.from(id, "base64url")).toHaveLength(24);
    expect(isValidSessionId(id)).toBe(true);
  });

  it("does not repeat over 100,000 draws", () => {
    const ids = new Set(Array.from({ length: 100_000 }, generateSessionId));
    expect(ids.size).toBe(100_000);
  });
});

describe("session ID validation (MCP: visible ASCII 0x21 to 0x7E)", () => {
  it.each([
    ["", /empty/],
    [" leading-space", /index 0/],
    ["a b", /index 1/],
    ["é", /outside visible ASCII/],
    ["\u007f", /outside visible ASCII/],
    ["x".repeat(MaxSessionIdLength + 1), /longer than 256/],
  ])("refuses %j with a typed error naming the reason", (id, reason) => {
    expect(isValidSessionId(id)).toBe(false);
    try {
      assertValidSessionId(id);
      expect.unreachable("it must throw");
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidSessionIdError);
      expect((error as InvalidSessionIdError).code).toBe("VMCP_INVALID_SESSION_ID");
      expect((error as Error).message).toMatch(reason);
    }
  });

  it("accepts every visible ASCII character, up to the maximum length", () => {
    const all = Array.from({ length: 94 }, (_, i) => String.fromCharCode(0x21 + i)).join("");
    expect(assertValidSessionId(all)).toBe(all);
    expect(isValidSessionId("x".repeat(MaxSessionIdLength))).toBe(true);
  });

  it("refuses non-strings", () => {
    for (const id of [undefined, null, 1, {}]) expect(isValidSessionId(id)).toBe(false);
  });
});
