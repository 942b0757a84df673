import {
  errorCodeReader,
  InvalidBackendListError,
  InvalidWorkloadIdError,
  KeyErrorCode,
  VmcpSessionError,
} from "@vmcp/session-keys";
import { describe, expect, expectTypeOf, it } from "vitest";

describe("error hierarchy", () => {
  it("the key schema's errors extend the one base class, which names them after their class", () => {
    const workload = new InvalidWorkloadIdError("a,b", "holds a comma");
    const list = new InvalidBackendListError("a,,b", workload);
    for (const error of [workload, list]) {
      expect(error).toBeInstanceOf(VmcpSessionError);
      expect(error).toBeInstanceOf(Error);
    }
    expect(workload.name).toBe("InvalidWorkloadIdError");
    expect(list.name).toBe("InvalidBackendListError");
    expect(list.cause).toBe(workload);
  });

  it("a subclass defined elsewhere gets its own name too, without setting it", () => {
    class SomethingBrokeError extends VmcpSessionError {
      readonly code = "VMCP_SOMETHING_BROKE";
    }
    const error = new SomethingBrokeError("x");
    expect(error.name).toBe("SomethingBrokeError");
    expect(error.code).toBe("VMCP_SOMETHING_BROKE");
  });

  it("codes come from the table, which has no duplicates", () => {
    const codes = Object.values(KeyErrorCode);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^VMCP_[A-Z_]+$/);
    const keyCodes = errorCodeReader(KeyErrorCode);
    expect(keyCodes.of(new InvalidWorkloadIdError("", "empty"))).toBe(
      KeyErrorCode.InvalidWorkloadId,
    );
    expect(keyCodes.of({ code: "VMCP_MISSPELLED" })).toBeUndefined();
    expect(keyCodes.is(KeyErrorCode.InvalidBackendList)).toBe(true);
  });

  it("a reader knows only its own table's codes, and reads them without instanceof", () => {
    const table = { Broke: "VMCP_SOMETHING_BROKE", Gone: "VMCP_SOMETHING_GONE" } as const;
    const reader = errorCodeReader(table);
    expect(reader.of({ code: "VMCP_SOMETHING_GONE" })).toBe(table.Gone);
    expect(reader.of(new InvalidWorkloadIdError("", "empty"))).toBeUndefined();
    expect(reader.of(Object.assign(new Error("x"), { code: "ECONNRESET" }))).toBeUndefined();
    expect(reader.of({ code: 7 })).toBeUndefined();
    expect(reader.of(null)).toBeUndefined();
    expect(reader.of("VMCP_SOMETHING_BROKE")).toBeUndefined();
    expect(reader.is("VMCP_SOMETHING_BROKE")).toBe(true);
    expect(reader.is("vmcp_something_broke")).toBe(false);
    expectTypeOf(reader.of).returns.toEqualTypeOf<
      "VMCP_SOMETHING_BROKE" | "VMCP_SOMETHING_GONE" | undefined
    >();
  });
});
