import { StorageUnavailableError } from "@vmcp/session-core";
import { describe, expect, it } from "vitest";
import { unavailabilityFields } from "../dist/http/endpoint/failure-log.js";
import {
  describeError,
  sanitizeLogValue,
  truncateText,
  withoutRepeats,
} from "../dist/log-redaction.js";

describe("log redaction", () => {
  it("cuts long strings with a marker and leaves short ones alone", () => {
    expect(truncateText("abc", 5)).toBe("abc");
    expect(truncateText("a".repeat(300), 100)).toBe(`${"a".repeat(100)}…(+200 chars)`);
  });

  it("drops repeated parts of a message", () => {
    expect(
      withoutRepeats("Redis load failed: MOVED 12 10.0.0.1:7001: MOVED 12 10.0.0.1:7001"),
    ).toBe("Redis load failed: MOVED 12 10.0.0.1:7001");
  });

  it("an expected error is a short record without a stack; its cause only when it adds text", () => {
    const moved = new Error("MOVED 12 10.0.0.1:7001");
    const error = new StorageUnavailableError(`Redis load failed: ${moved.message}`, {
      cause: moved,
    });
    const record = describeError(error, 1024);
    expect(record).toEqual({
      type: "StorageUnavailableError",
      code: "VMCP_STORAGE_UNAVAILABLE",
      message: "Redis load failed: MOVED 12 10.0.0.1:7001",
    });
    const unexpected = describeError(new TypeError("boom", { cause: new Error("root") }), 1024);
    expect(unexpected.stack).toMatch(/TypeError: boom/);
    expect(unexpected.cause).toMatchObject({ type: "Error", message: "root" });
  });

  it("never writes bytes or unknown error properties", () => {
    const parserError = Object.assign(new Error("Parse Error: Invalid header token"), {
      code: "HPE_INVALID_HEADER_TOKEN",
      rawPacket: Buffer.from("authorization: Bearer secret"),
    });
    const safe = sanitizeLogValue({ err: parserError, body: Buffer.from("secret") }, 1024);
    expect(JSON.stringify(safe)).not.toMatch(/secret|rawPacket|115,101,99/);
    expect(safe).toMatchObject({
      body: "[6 bytes not logged]",
      err: { code: "HPE_INVALID_HEADER_TOKEN" },
    });
  });

  it("names the operation and the node of a store unavailability", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 10.0.0.2:6379"), {
      address: "10.0.0.2",
      port: 6379,
    });
    expect(
      unavailabilityFields(
        new StorageUnavailableError("Redis update failed: x", { cause: refused }),
      ),
    ).toMatchObject({ operation: "update", node: "10.0.0.2:6379" });
    expect(
      unavailabilityFields(new StorageUnavailableError("Redis load failed: ASK 7 10.0.0.3:7002")),
    ).toMatchObject({ operation: "load", node: "10.0.0.3:7002" });
  });
});
