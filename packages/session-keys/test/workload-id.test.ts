import {
  assertValidWorkloadId,
  InvalidWorkloadIdError,
  isValidWorkloadId,
  MaxWorkloadIdLength,
  workloadIdProblem,
} from "@vmcp/session-keys";
import { describe, expect, it } from "vitest";

describe("workload ID validation", () => {
  it.each([
    ["", /empty/],
    ["a,b", /comma/],
    ["has space", /whitespace or a control character \(U\+0020\) at index 3/],
    ["tab\tid", /U\+0009/],
    ["new\nline", /U\+000A/],
    ["nul\u0000", /U\+0000/],
    ["del\u007f", /U\+007F/],
    ["nbsp\u00a0", /U\+00A0/],
    ["zero\u200bwidth", /U\+200B/],
    ["x".repeat(MaxWorkloadIdLength + 1), /longer than 256/],
  ])("refuses %j", (id, reason) => {
    expect(isValidWorkloadId(id)).toBe(false);
    expect(workloadIdProblem(id)).toMatch(reason);
    try {
      assertValidWorkloadId(id);
      expect.unreachable("it must throw");
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidWorkloadIdError);
      expect((error as InvalidWorkloadIdError).code).toBe("VMCP_INVALID_WORKLOAD_ID");
      expect((error as InvalidWorkloadIdError).workloadId).toBe(id);
      expect((error as Error).message).toContain(JSON.stringify(id));
    }
  });

  it.each([[42], [null], [undefined], [{}]])("refuses the non-string %j", (id) => {
    expect(() => assertValidWorkloadId(id)).toThrow(/not a string/);
  });

  it.each([
    ["github"],
    ["jira-cloud"],
    ["team.a/b"],
    ["ns:tool_1"],
    ["ünïcode"],
    ["x".repeat(MaxWorkloadIdLength)],
  ])("accepts %j and returns it unchanged", (id) => {
    expect(assertValidWorkloadId(id)).toBe(id);
  });
});
