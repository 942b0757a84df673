import {
  type BackendEntry,
  decodeBackendEntry,
  encodeBackendEntry,
  encodeBackends,
  InvalidMetadataValueError,
  InvalidWorkloadIdError,
  readBackendMetadata,
} from "@vmcp/session-keys";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const workloadId = fc.stringMatching(/^[a-z0-9][a-z0-9._:/-]{0,20}$/);
const entry: fc.Arbitrary<BackendEntry> = fc.record(
  {
    workloadId,
    sessionId: fc.string(),
    protocolVersion: fc.string(),
    capabilities: fc.dictionary(fc.string(), fc.jsonValue()),
    instructions: fc.string(),
  },
  { requiredKeys: ["workloadId", "sessionId"] },
);

describe("per-backend entries", () => {
  it("writes the session key always, and protocol and capabilities only when known", () => {
    expect(encodeBackendEntry({ workloadId: "github", sessionId: "" })).toEqual({
      "vmcp.backend.session.github": "",
    });
    expect(
      encodeBackendEntry({
        workloadId: "github",
        sessionId: "s-1",
        protocolVersion: "2025-11-25",
        capabilities: { tools: {} },
      }),
    ).toEqual({
      "vmcp.backend.session.github": "s-1",
      "vmcp.backend.protocol.github": "2025-11-25",
      "vmcp.backend.capabilities.github": '{"tools":{}}',
    });
  });

  it("writes the backend's instructions as they are, only when it sent some", () => {
    const instructions = 'Use search first.\n## Not a heading of ours: ünïcode, "quotes"';
    const metadata = encodeBackendEntry({ workloadId: "jira", sessionId: "s", instructions });
    expect(metadata).toEqual({
      "vmcp.backend.session.jira": "s",
      "vmcp.backend.instructions.jira": instructions,
    });
    expect(decodeBackendEntry(metadata, "jira")?.instructions).toBe(instructions);
    expect(encodeBackendEntry({ workloadId: "jira", sessionId: "s", instructions: "" })).toEqual({
      "vmcp.backend.session.jira": "s",
      "vmcp.backend.instructions.jira": "",
    });
    expect(decodeBackendEntry({ "vmcp.backend.session.jira": "s" }, "jira")).toEqual({
      workloadId: "jira",
      sessionId: "s",
    });
  });

  it("round-trips any entry", () => {
    fc.assert(
      fc.property(entry, (e) => {
        const decoded = decodeBackendEntry(encodeBackendEntry(e), e.workloadId);
        expect(decoded).toEqual(JSON.parse(JSON.stringify(e)));
      }),
    );
  });

  it("reads no entry for a backend without a session key, even when its other keys are left behind", () => {
    expect(decodeBackendEntry({ "vmcp.backend.protocol.a": "2025-11-25" }, "a")).toBeUndefined();
  });

  it("refuses stored capabilities that are not a JSON object, naming the key", () => {
    const metadata = {
      "vmcp.backend.session.a": "s",
      "vmcp.backend.capabilities.a": "[true]",
    };
    expect(() => decodeBackendEntry(metadata, "a")).toThrow(InvalidMetadataValueError);
    expect(() => decodeBackendEntry(metadata, "a")).toThrow(
      expect.objectContaining({ key: "vmcp.backend.capabilities.a", value: "[true]" }),
    );
  });

  it("refuses an unusable workload ID on both sides", () => {
    expect(() => encodeBackendEntry({ workloadId: "a,b", sessionId: "s" })).toThrow(
      InvalidWorkloadIdError,
    );
    expect(() => decodeBackendEntry({}, "")).toThrow(InvalidWorkloadIdError);
  });
});

describe("a session's backend metadata", () => {
  it("writes nothing at all without a backend", () => {
    expect(encodeBackends([])).toEqual({});
  });

  it("writes every entry and the sorted, de-duplicated list; a repeated workload ID keeps its last values", () => {
    expect(
      encodeBackends([
        { workloadId: "slack", sessionId: "s1" },
        { workloadId: "github", sessionId: "" },
        { workloadId: "slack", sessionId: "s2" },
      ]),
    ).toEqual({
      "vmcp.backend.session.slack": "s2",
      "vmcp.backend.session.github": "",
      "vmcp.backend.ids": "github,slack",
    });
  });

  it("round-trips through readBackendMetadata and decodeBackendEntry", () => {
    fc.assert(
      fc.property(fc.uniqueArray(entry, { selector: (e) => e.workloadId, minLength: 1 }), (es) => {
        const metadata = encodeBackends(es);
        const read = readBackendMetadata(metadata);
        expect(read.backendIds).toEqual(es.map((e) => e.workloadId).sort());
        for (const e of es) {
          expect(read.backendSessions.get(e.workloadId)).toBe(e.sessionId);
          expect(decodeBackendEntry(metadata, e.workloadId)).toEqual(JSON.parse(JSON.stringify(e)));
        }
      }),
    );
  });
});
