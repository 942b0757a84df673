import {
  MetadataKeyNamespace,
  MetadataKeyRecordKind,
  MetadataKeySessionPool,
  RecordKind,
  recordKindOf,
} from "@vmcp/session-keys";
import { describe, expect, it } from "vitest";

describe("record kind", () => {
  it("is a vmcp key, absent on client sessions", () => {
    expect(MetadataKeyRecordKind).toBe("vmcp.kind");
    expect(MetadataKeyRecordKind.startsWith(MetadataKeyNamespace)).toBe(true);
    expect(recordKindOf({})).toBe("session");
    expect(recordKindOf({ "vmcp.backend.ids": "a" })).toBe("session");
  });

  it("names a request-state, backend-era or task-route record, and a kind it does not know as unknown", () => {
    expect(recordKindOf({ [MetadataKeyRecordKind]: RecordKind.RequestState })).toBe(
      "request-state",
    );
    expect(recordKindOf({ [MetadataKeyRecordKind]: RecordKind.BackendEra })).toBe("backend-era");
    expect(recordKindOf({ [MetadataKeyRecordKind]: RecordKind.TaskRoute })).toBe("task-route");
    expect(recordKindOf({ [MetadataKeyRecordKind]: "from-a-newer-writer" })).toBe("unknown");
    expect(recordKindOf({ [MetadataKeyRecordKind]: "" })).toBe("unknown");
  });
});

describe("pooled backend session marker", () => {
  it("is a vmcp key of its own, not a record kind: a pooled record is a session", () => {
    expect(MetadataKeySessionPool).toBe("vmcp.session.pool");
    expect(MetadataKeySessionPool.startsWith(MetadataKeyNamespace)).toBe(true);
    expect(MetadataKeySessionPool).not.toBe(MetadataKeyRecordKind);
    expect(recordKindOf({ [MetadataKeySessionPool]: "2026-07-28" })).toBe("session");
  });
});
