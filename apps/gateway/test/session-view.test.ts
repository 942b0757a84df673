import type { SessionRecord } from "@vmcp/session-core";
import { describe, expect, it } from "vitest";
import { formatSessionView, viewSession } from "../src/cli/session-view.js";

function record(metadata: Record<string, string>): SessionRecord {
  return { id: "s-1", createdAt: 0, updatedAt: 1_000, version: 3, metadata };
}

const healthy = {
  "vmcp.backend.ids": "github,jira",
  "vmcp.backend.session.github": "gh-1",
  "vmcp.backend.protocol.github": "2025-11-25",
  "vmcp.backend.session.jira": "",
  "vmcp.backend.session.slack": "left-behind",
  "vmcp.client.protocol_version": "2025-11-25",
  "vmcp.client.capabilities": "{}",
  "vmcp.client.info": '{"name":"inspector","version":"1.0"}',
  "vmcp.identity.issuer": "https://idp.example",
  "vmcp.identity.subject": "alice",
  "vmcp.identity.binding": "h4sh",
};

describe("the sessions view", () => {
  it("decodes backends, client and owner through the key schema", () => {
    const view = viewSession(record(healthy));
    expect(view.problem).toBeUndefined();
    expect(view.owner).toEqual({ issuer: "https://idp.example", subject: "alice" });
    expect(view.bound).toBe(true);
    expect(view.client).toEqual({
      protocolVersion: "2025-11-25",
      name: "inspector",
      version: "1.0",
    });
    expect(view.backends).toEqual([
      { workloadId: "github", sessionId: "gh-1", protocolVersion: "2025-11-25", listed: true },
      { workloadId: "jira", sessionId: "", protocolVersion: undefined, listed: true },
      { workloadId: "slack", sessionId: "left-behind", protocolVersion: undefined, listed: false },
    ]);
  });

  it("shows a backend's stored instructions on one line, quoted and shortened", () => {
    const instructions = `Search first.\nThen ask.\n${"x".repeat(200)}`;
    const text = formatSessionView(
      viewSession(record({ ...healthy, "vmcp.backend.instructions.github": instructions })),
    );
    const line = text.split("\n").find((l) => l.includes("vmcp.backend.instructions.github"));
    expect(line).toMatch(
      /vmcp\.backend\.instructions\.github +"Search first\.\\nThen ask\.\\nx+…$/,
    );
    expect(text).not.toContain("Then ask.\n");
  });

  it("never throws on corrupt values: it names each one in problem and still shows the rest", () => {
    const view = viewSession(
      record({
        ...healthy,
        "vmcp.backend.ids": "github,,jira",
        "vmcp.backend.capabilities.slack": "[]",
        "vmcp.client.info": "{not json",
        "vmcp.identity.binding": undefined as unknown as string,
      }),
    );
    expect(view.problem).toContain("invalid backend ID list");
    expect(view.problem).toContain("vmcp.backend.capabilities.slack");
    expect(view.problem).toContain("vmcp.client.info");
    expect(view.problem).toContain("vmcp.identity.binding");
    expect(view.owner).toBeUndefined();
    expect(view.client.name).toBeUndefined();
    expect(view.backends.map((b) => b.workloadId)).toEqual(["github", "jira", "slack"]);
    expect(formatSessionView(view)).toContain("problem:");
  });

  it("names each record's kind; a record that is not a session prints as what it is, never with owner, client or backends", () => {
    const session = viewSession(record(healthy));
    expect(session.kind).toBe("session");
    expect(formatSessionView(session)).toMatch(
      /^session {3}s-1\nkind {6}session: a client session/,
    );

    const era = viewSession(
      record({ "vmcp.kind": "backend-era", "vmcp.backend.era": '{"kind":"legacy","storedAt":1}' }),
    );
    expect(era.kind).toBe("backend-era");
    expect(era.backends).toEqual([]);
    const text = formatSessionView(era);
    expect(text).toMatch(/^record {4}s-1\nkind {6}backend-era: not a client session: a backend's/);
    expect(text).toContain('vmcp.backend.era  {"kind":"legacy","storedAt":1}');
    expect(text).not.toMatch(/^(owner|client|backends)/m);

    expect(viewSession(record({ "vmcp.kind": "request-state" })).kind).toBe("request-state");
    const later = viewSession(record({ "vmcp.kind": "from-a-newer-writer" }));
    expect(later.kind).toBe("unknown");
    expect(formatSessionView(later)).toContain(
      "kind      unknown (from-a-newer-writer): not a client session",
    );

    const pooled = viewSession(record({ ...healthy, "vmcp.session.pool": "2026-07-28" }));
    expect(pooled).toMatchObject({ kind: "session", pool: "2026-07-28" });
    expect(formatSessionView(pooled)).toContain(
      "kind      pooled: a pooled backend session, kept per caller for MCP 2026-07-28 clients",
    );
  });
});
