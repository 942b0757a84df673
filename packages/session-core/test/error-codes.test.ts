import * as core from "@vmcp/session-core";
import {
  ErrorCode,
  errorCodeOf,
  isErrorCode,
  McpSdkMissingError,
  SessionBusyError,
  StorageScriptError,
  StorageUnavailableError,
} from "@vmcp/session-core";
import { InvalidWorkloadIdError, VmcpSessionError } from "@vmcp/session-keys";
import { describe, expect, expectTypeOf, it } from "vitest";

/** Every error class the package exports (every export whose prototype chain reaches the base). */
type ErrorClass = abstract new (...args: never[]) => VmcpSessionError;
const errorClasses = Object.entries(core as Record<string, unknown>).filter(
  (entry): entry is [string, ErrorClass] =>
    typeof entry[1] === "function" &&
    entry[1] !== VmcpSessionError &&
    entry[1].prototype instanceof VmcpSessionError,
);

/** Constructor arguments of the classes whose first argument is not a string. */
const argumentsOf: Readonly<Record<string, readonly unknown[]>> = {
  StorageListIncompleteError: [[{ node: "127.0.0.1:7000", slotRanges: [[0, 5460]] }]],
};

/** One instance of an exported error class, built with placeholder arguments. */
function construct(exportName: string, ErrorClass: ErrorClass): VmcpSessionError {
  return Reflect.construct(
    ErrorClass,
    argumentsOf[exportName] ?? ["a", "b", 1],
  ) as VmcpSessionError;
}

/** One instance of each exported error class. */
function instances(): VmcpSessionError[] {
  return errorClasses.map(([exportName, ErrorClass]) => construct(exportName, ErrorClass));
}

/**
 * Maps a code to a status the way a front end would. Type-level test (run by `pnpm typecheck`):
 * `errorCodeOf` is typed by the table, so a misspelled case is a compile error, not a silent miss.
 */
function statusOf(error: VmcpSessionError): number {
  switch (errorCodeOf(error)) {
    case ErrorCode.SessionOwnerMismatch:
      return 403;
    case ErrorCode.StorageUnavailable:
      return 503;
    // @ts-expect-error: "VMCP_STORAGE_UNAVAILABEL" is not one of the table's codes
    case "VMCP_STORAGE_UNAVAILABEL":
      return 0;
    default:
      return 500;
  }
}

describe("error codes", () => {
  it("every exported error class has a code from the one table, and no two share one", () => {
    expect(errorClasses.length).toBeGreaterThanOrEqual(19);
    const codes = instances().map((error) => error.code);
    for (const code of codes) expect(Object.values(ErrorCode)).toContain(code);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it("the base class sets name from the concrete class, for every exported error", () => {
    for (const [exportName, ErrorClass] of errorClasses) {
      const error = construct(exportName, ErrorClass);
      expect(error.name).toBe(exportName);
      expect(error).toBeInstanceOf(Error);
      expect(String(error)).toMatch(new RegExp(`^${exportName}: `));
    }
  });

  it("the key schema's errors are in the same hierarchy (one base class, exported by session-keys only)", () => {
    expect(Object.keys(core)).not.toContain("VmcpSessionError");
    expect(new SessionBusyError("s", 1, 1)).toBeInstanceOf(VmcpSessionError);
    const error = new InvalidWorkloadIdError("a,b", "holds a comma");
    expect(error).toBeInstanceOf(VmcpSessionError);
    expect(error.name).toBe("InvalidWorkloadIdError");
    expect(errorCodeOf(error)).toBe(ErrorCode.InvalidWorkloadId);
  });

  it("errorCodeOf reads the code without instanceof, and only for codes of the table", () => {
    expect(errorCodeOf(new SessionBusyError("s", 1, 1))).toBe("VMCP_SESSION_BUSY");
    // An error from another copy of the packages: a plain object with a known code.
    expect(errorCodeOf({ code: "VMCP_STORAGE_UNAVAILABLE" })).toBe(ErrorCode.StorageUnavailable);
    expect(errorCodeOf({ code: "VMCP_NOT_A_CODE" })).toBeUndefined();
    expect(errorCodeOf(Object.assign(new Error("x"), { code: "ECONNRESET" }))).toBeUndefined();
    expect(errorCodeOf({ code: -32601 })).toBeUndefined();
    expect(errorCodeOf(null)).toBeUndefined();
    expect(errorCodeOf("VMCP_SESSION_BUSY")).toBeUndefined();
    expect(isErrorCode("VMCP_SESSION_BUSY")).toBe(true);
    expect(isErrorCode("vmcp_session_busy")).toBe(false);
  });

  it("a script failure is its own class, not an unavailability", () => {
    const error = new StorageScriptError("update", "ERR user_script:1: boom");
    expect(error).not.toBeInstanceOf(StorageUnavailableError);
    expect(error.code).toBe("VMCP_STORAGE_SCRIPT");
    expect(error.operation).toBe("update");
  });

  it("the missing-SDK error names the package to install", () => {
    const error = new McpSdkMissingError();
    expect(error.packageName).toBe("@modelcontextprotocol/sdk");
    expect(error.message).toContain("npm i @modelcontextprotocol/sdk");
  });

  it("code is typed by the table", () => {
    expectTypeOf(errorCodeOf).returns.toEqualTypeOf<ErrorCode | undefined>();
    expectTypeOf(new SessionBusyError("s", 1, 1).code).toEqualTypeOf<"VMCP_SESSION_BUSY">();
    expect(statusOf(new SessionBusyError("s", 1, 1))).toBe(500);
    expect(statusOf(new StorageUnavailableError("down"))).toBe(503);
  });
});
