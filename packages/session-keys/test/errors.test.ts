import {
  ErrorCode,
  errorCodeOf,
  InvalidBackendListError,
  InvalidWorkloadIdError,
  isErrorCode,
  VmcpSessionError,
} from "@vmcp/session-keys";
import { describe, expect, it } from "vitest";

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
      readonly code = ErrorCode.StorageScript;
    }
    expect(new SomethingBrokeError("x").name).toBe("SomethingBrokeError");
  });

  it("codes come from the table, which has no duplicates", () => {
    const codes = Object.values(ErrorCode);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^VMCP_[A-Z_]+$/);
    expect(errorCodeOf(new InvalidWorkloadIdError("", "empty"))).toBe(ErrorCode.InvalidWorkloadId);
    expect(errorCodeOf({ code: "VMCP_MISSPELLED" })).toBeUndefined();
    expect(isErrorCode(ErrorCode.InvalidBackendList)).toBe(true);
  });
});
