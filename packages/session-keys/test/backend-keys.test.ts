import {
  backendCapabilitiesKey,
  backendInstructionsKey,
  backendKeys,
  backendProtocolKey,
  backendSessionKey,
  InvalidWorkloadIdError,
  MetadataKeyBackendIds,
  MetadataKeyBackendInstructionsPrefix,
  MetadataKeyBackendSessionPrefix,
  parseBackendKey,
  parseBackendSessionKey,
} from "@vmcp/session-keys";
import { describe, expect, it } from "vitest";

describe("key constants", () => {
  it("MetadataKeyBackendSessionPrefix has the value the Go task (rc8, backend session metadata) fixes", () => {
    expect(MetadataKeyBackendSessionPrefix).toBe("vmcp.backend.session.");
  });

  it("MetadataKeyBackendIds has the value the Go task (rc8, backend session metadata) fixes", () => {
    expect(MetadataKeyBackendIds).toBe("vmcp.backend.ids");
  });
});

describe("backendSessionKey and parseBackendSessionKey", () => {
  it("builds the prefix followed by the workload ID", () => {
    expect(backendSessionKey("github")).toBe("vmcp.backend.session.github");
  });

  it("round-trips workload IDs with dots, dashes, colons and non-ASCII letters", () => {
    for (const id of ["github", "team.a.jira", "svc-1", "ns:tool", "ünïcode", "x".repeat(256)]) {
      expect(parseBackendSessionKey(backendSessionKey(id))).toBe(id);
    }
  });

  it("parses nothing out of other keys, the bare prefix or an invalid suffix", () => {
    expect(parseBackendSessionKey("vmcp.backend.ids")).toBeUndefined();
    expect(parseBackendSessionKey("vmcp.backend.session.")).toBeUndefined();
    expect(parseBackendSessionKey("vmcp.backend.session.a,b")).toBeUndefined();
    expect(parseBackendSessionKey("vmcp.backend.protocol.github")).toBeUndefined();
    expect(parseBackendSessionKey("other.vmcp.backend.session.github")).toBeUndefined();
  });

  it("refuses to build a key for an unusable workload ID, naming it", () => {
    expect(() => backendSessionKey("a,b")).toThrow(InvalidWorkloadIdError);
    expect(() => backendSessionKey("a,b")).toThrow(/"a,b".*comma/);
  });

  it("lists every per-backend key of one backend", () => {
    expect(backendKeys("jira")).toEqual([
      backendSessionKey("jira"),
      backendProtocolKey("jira"),
      backendCapabilitiesKey("jira"),
      backendInstructionsKey("jira"),
    ]);
    expect(new Set(backendKeys("jira")).size).toBe(4);
  });
});

describe("backendInstructionsKey", () => {
  it("builds the instructions prefix followed by the workload ID", () => {
    expect(MetadataKeyBackendInstructionsPrefix).toBe("vmcp.backend.instructions.");
    expect(backendInstructionsKey("team.jira")).toBe("vmcp.backend.instructions.team.jira");
  });

  it("refuses to build a key for an unusable workload ID, naming it", () => {
    expect(() => backendInstructionsKey("a b")).toThrow(InvalidWorkloadIdError);
    expect(() => backendInstructionsKey("")).toThrow(InvalidWorkloadIdError);
  });
});

describe("parseBackendKey", () => {
  it("names the workload ID of every per-backend key, and nothing else", () => {
    for (const key of backendKeys("team.jira")) expect(parseBackendKey(key)).toBe("team.jira");
    expect(parseBackendKey("vmcp.backend.ids")).toBeUndefined();
    expect(parseBackendKey("vmcp.identity.subject")).toBeUndefined();
    expect(parseBackendKey("vmcp.backend.protocol.")).toBeUndefined();
    expect(parseBackendKey("vmcp.backend.capabilities.a,b")).toBeUndefined();
    expect(parseBackendKey("vmcp.backend.instructions.github")).toBe("github");
    expect(parseBackendKey("vmcp.backend.instructions.")).toBeUndefined();
  });
});
