import {
  decodeBackendIds,
  encodeBackendIds,
  InvalidBackendListError,
  InvalidWorkloadIdError,
  MetadataKeyBackendIds,
  readBackendIds,
  readBackendMetadata,
  readBackendSessions,
} from "@vmcp/session-keys";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const workloadId = fc.stringMatching(/^[a-z0-9][a-z0-9._:/-]{0,20}$/);

describe("backend ID list encoding", () => {
  it("sorts and joins with commas", () => {
    expect(encodeBackendIds(["slack", "github", "jira"])).toBe("github,jira,slack");
  });

  it("drops duplicates", () => {
    expect(encodeBackendIds(["b", "a", "b"])).toBe("a,b");
  });

  it("encodes an empty list as an empty string, which decodes to an empty list", () => {
    expect(encodeBackendIds([])).toBe("");
    expect(decodeBackendIds("")).toEqual([]);
  });

  it("refuses to encode an ID that would corrupt the list", () => {
    expect(() => encodeBackendIds(["ok", "a,b"])).toThrow(InvalidWorkloadIdError);
  });

  it("refuses to decode a corrupt list, naming the value", () => {
    for (const bad of ["a,,b", ",a", "a,", "a, b"]) {
      expect(() => decodeBackendIds(bad)).toThrow(InvalidBackendListError);
      expect(() => decodeBackendIds(bad)).toThrow(JSON.stringify(bad));
    }
  });

  it("decode(encode(ids)) is the sorted set of ids (property-based)", () => {
    fc.assert(
      fc.property(fc.array(workloadId, { maxLength: 20 }), (ids) => {
        expect(decodeBackendIds(encodeBackendIds(ids))).toEqual([...new Set(ids)].sort());
      }),
    );
  });
});

describe("readBackendMetadata", () => {
  it("reads the list and every per-backend session ID, ignoring other keys", () => {
    const read = readBackendMetadata({
      [MetadataKeyBackendIds]: "github,jira",
      "vmcp.backend.session.github": "gh-1",
      "vmcp.backend.session.jira": "",
      "vmcp.backend.protocol.github": "2025-11-25",
      "vmcp.identity.subject": "alice",
    });
    expect(read.backendIds).toEqual(["github", "jira"]);
    expect([...read.backendSessions]).toEqual([
      ["github", "gh-1"],
      ["jira", ""],
    ]);
  });

  it("reads an empty session when no backend connected", () => {
    const read = readBackendMetadata({});
    expect(read.backendIds).toEqual([]);
    expect(read.backendSessions.size).toBe(0);
  });
});

describe("readBackendIds and readBackendSessions", () => {
  it("read the list and the session keys separately, so a corrupt list leaves the keys readable", () => {
    const metadata = {
      [MetadataKeyBackendIds]: "a,,b",
      "vmcp.backend.session.a": "s-a",
      "vmcp.backend.session.": "no workload",
    };
    expect(() => readBackendIds(metadata)).toThrow(InvalidBackendListError);
    expect([...readBackendSessions(metadata)]).toEqual([["a", "s-a"]]);
    expect(readBackendIds({})).toEqual([]);
  });
});
