import { StorageListIncompleteError } from "@vmcp/session-core";
import { VmcpSessionError } from "@vmcp/session-keys";
import { describe, expect, it } from "vitest";

describe("StorageListIncompleteError", () => {
  it("names every unreachable node and its slot ranges", () => {
    const error = new StorageListIncompleteError([
      { node: "10.0.0.7:6379", slotRanges: [[10923, 16383]] },
      {
        node: "10.0.0.8:6379",
        slotRanges: [
          [5, 5],
          [7, 9],
        ],
      },
      { node: "shard-b", slotRanges: [] },
    ]);
    expect(error).toBeInstanceOf(VmcpSessionError);
    expect(error.code).toBe("VMCP_STORAGE_LIST_INCOMPLETE");
    expect(error.name).toBe("StorageListIncompleteError");
    expect(error.message).toBe(
      "the session list is incomplete: not reachable: 10.0.0.7:6379 (slots 10923-16383); " +
        "10.0.0.8:6379 (slots 5,7-9); shard-b",
    );
    expect(error.unreachable[1]?.slotRanges).toEqual([
      [5, 5],
      [7, 9],
    ]);
  });
});
