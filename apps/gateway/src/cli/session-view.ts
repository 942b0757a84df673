import type { SessionRecord } from "@vmcp/session-core";
import {
  decodeBackendEntry,
  decodeClientInfo,
  decodeIdentity,
  MetadataKeyBackendCapabilitiesPrefix,
  MetadataKeyBackendIds,
  MetadataKeyClientCapabilities,
  MetadataKeySessionPool,
  readBackendIds,
  readBackendSessions,
  recordKindOf,
  type StoredClientInfo,
  type StoredIdentity,
} from "@vmcp/session-keys";

/** One backend of a stored session, decoded from its `vmcp.backend.*` keys. */
export interface BackendView {
  readonly workloadId: string;
  /** The backend's own session ID; `""` for a backend without sessions. */
  readonly sessionId: string | undefined;
  readonly protocolVersion: string | undefined;
  /** Whether the backend is listed in `vmcp.backend.ids` (false: a key left behind). */
  readonly listed: boolean;
}

/** A stored session decoded through the key schema, as `sessions show` prints it. */
export interface SessionView {
  readonly id: string;
  /** ISO 8601. */
  readonly createdAt: string;
  /** ISO 8601. */
  readonly updatedAt: string;
  /** ISO 8601, or `undefined` for no deadline. */
  readonly expiresAt: string | undefined;
  readonly version: number;
  /**
   * What the record is: `session` (a client's), `pooled` (a pooled backend session the gateway
   * keeps for sessionless callers: `vmcp.session.pool` is set), or the `vmcp.kind` of a record that
   * is no session (`backend-era`, `request-state`; `unknown` for a kind this version does not know).
   */
  readonly kind: string;
  /** For a pooled backend session: the revision of the clients it serves (`2026-07-28`). */
  readonly pool: string | undefined;
  /** `issuer/subject`, or `undefined` for an anonymous session. */
  readonly owner: { issuer: string; subject: string } | undefined;
  /** Whether an identity binding hash is stored. */
  readonly bound: boolean;
  readonly client: {
    protocolVersion: string | undefined;
    name: string | undefined;
    version: string | undefined;
  };
  readonly backends: readonly BackendView[];
  /** Every stored key and value, exactly as stored. */
  readonly metadata: Readonly<Record<string, string>>;
  /** What could not be decoded (the backend list, a backend's values, client info, identity), `; `-joined; `undefined` when all decoded. */
  readonly problem: string | undefined;
}

/**
 * Decodes a stored session for people: backends, owner, client, times, through the key schema's
 * decoders (`@vmcp/session-keys`). Never throws: what cannot be decoded is named in `problem`.
 */
export function viewSession(record: SessionRecord): SessionView {
  const m = record.metadata;
  const problems: string[] = [];
  const decode = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (error) {
      problems.push((error as Error).message);
      return undefined;
    }
  };
  const backendIds = decode(() => readBackendIds(m)) ?? [];
  const backendSessions = readBackendSessions(m);
  const names = [...new Set([...backendIds, ...backendSessions.keys()])].sort();
  const client: StoredClientInfo | undefined = decode(() => decodeClientInfo(m));
  const identity: StoredIdentity | undefined = decode(() => decodeIdentity(m));
  const pool = m[MetadataKeySessionPool];
  const kind = recordKindOf(m);
  return {
    id: record.id,
    createdAt: new Date(record.createdAt).toISOString(),
    updatedAt: new Date(record.updatedAt).toISOString(),
    expiresAt:
      record.expiresAt === undefined ? undefined : new Date(record.expiresAt).toISOString(),
    version: record.version,
    kind: kind === "session" && pool !== undefined ? "pooled" : kind,
    pool,
    owner:
      identity === undefined ? undefined : { issuer: identity.issuer, subject: identity.subject },
    bound: identity !== undefined,
    client: {
      protocolVersion: client?.protocolVersion,
      name: client?.clientInfo.name,
      version: client?.clientInfo.version,
    },
    backends: names.map((workloadId) => ({
      workloadId,
      sessionId: backendSessions.get(workloadId),
      protocolVersion: decode(() => decodeBackendEntry(m, workloadId))?.protocolVersion,
      listed: backendIds.includes(workloadId),
    })),
    metadata: { ...m },
    problem: problems.length === 0 ? undefined : problems.join("; "),
  };
}

/** The session rendered as readable text (what `sessions show` and the demo print). */
export function formatSessionView(view: SessionView): string {
  const lines = [
    `session   ${view.id}`,
    `created   ${view.createdAt}   updated ${view.updatedAt}   version ${view.version}`,
    `expires   ${view.expiresAt ?? "never"}`,
    `kind      ${describeKind(view)}`,
    `owner     ${view.owner === undefined ? "(anonymous)" : `${view.owner.subject} (issuer ${view.owner.issuer})`}${view.bound ? ", bound by HMAC" : ""}`,
    `client    ${view.client.name ?? "?"} ${view.client.version ?? ""} speaking MCP ${view.client.protocolVersion ?? "?"}`,
    "backends:",
  ];
  if (view.backends.length === 0) lines.push("  (none connected)");
  const rows = view.backends.map((b) => [
    b.workloadId,
    b.sessionId === undefined ? "(no key)" : b.sessionId === "" ? "(sessionless)" : b.sessionId,
    b.protocolVersion ?? "",
    b.listed ? "" : `not in ${MetadataKeyBackendIds}`,
  ]);
  if (rows.length > 0) {
    lines.push(
      ...table(["WORKLOAD", "BACKEND SESSION ID", "PROTOCOL", ""], rows).map((l) => `  ${l}`),
    );
  }
  if (view.problem !== undefined) lines.push(`problem:  ${view.problem}`);
  lines.push("stored metadata:");
  const keys = Object.keys(view.metadata).sort();
  const width = Math.max(0, ...keys.map((k) => k.length));
  for (const key of keys) {
    const value = view.metadata[key] ?? "";
    const shown =
      key === MetadataKeyClientCapabilities || key.startsWith(MetadataKeyBackendCapabilitiesPrefix)
        ? truncate(value, 60)
        : value;
    lines.push(`  ${key.padEnd(width)}  ${shown}`);
  }
  return lines.join("\n");
}

/** What a record is, in words (`sessions show`). */
function describeKind(view: SessionView): string {
  if (view.kind === "session") return "client session";
  if (view.kind === "pooled") {
    return `pooled backend session (kept per caller for MCP ${view.pool ?? "?"} clients)`;
  }
  return `${view.kind} record (not a session)`;
}

/** Aligned columns with a header row. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function truncate(value: string, max: number): string {
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}
