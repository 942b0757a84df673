import type { SessionRecord } from "@vmcp/session-core";
import {
  decodeBackendEntry,
  decodeClientInfo,
  decodeIdentity,
  MetadataKeyBackendCapabilitiesPrefix,
  MetadataKeyBackendIds,
  MetadataKeyBackendInstructionsPrefix,
  MetadataKeyClientCapabilities,
  MetadataKeyRecordKind,
  MetadataKeySessionPool,
  type RecordKind,
  readBackendIds,
  readBackendSessions,
  recordKindOf,
  type StoredClientInfo,
  type StoredIdentity,
} from "@vmcp/session-keys";

/**
 * What a stored record is (`recordKindOf` of `@vmcp/session-keys`): a client `session` (no
 * `vmcp.kind`), one of the other kinds the gateway writes to the same store (`backend-era`,
 * `request-state`), or `unknown` (a `vmcp.kind` this version does not know: a newer writer's).
 */
export type StoredRecordKind = RecordKind | "session" | "unknown";

/** Every {@link StoredRecordKind}, sessions first: the values `sessions list --kind` takes besides `all`. */
export const StoredRecordKinds: readonly StoredRecordKind[] = [
  "session",
  "backend-era",
  "request-state",
  "task-route",
  "parked-call",
  "unknown",
];

/** One line on what each kind of record is, for `sessions show`. */
const KindNotes: Readonly<Record<StoredRecordKind, string>> = {
  session: "a client session (MCP 2025-11-25)",
  "backend-era": "not a client session: a backend's protocol era verdict, shared by the replicas",
  "request-state": "not a client session: the single-use marker of a used 2026-07-28 requestState",
  "task-route": "not a client session: the backend and owner of a 2026-07-28 task",
  "parked-call":
    "not a client session: a 2025-era backend call parked on one replica for a 2026-07-28 client's input",
  unknown: "not a client session: a vmcp.kind this version does not know",
};

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
  /** What the record is: only `session` is a client session (see {@link StoredRecordKind}). */
  readonly kind: StoredRecordKind;
  /** ISO 8601. */
  readonly createdAt: string;
  /** ISO 8601. */
  readonly updatedAt: string;
  /** ISO 8601, or `undefined` for no deadline. */
  readonly expiresAt: string | undefined;
  readonly version: number;
  /**
   * For a pooled backend session (a `session` the gateway keeps per caller for sessionless
   * clients, `vmcp.session.pool` set): the revision of the clients it serves (`2026-07-28`).
   */
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
 * Decodes a stored record for people: its kind, and for a session backends, owner, client, times,
 * through the key schema's decoders (`@vmcp/session-keys`). Never throws: what cannot be decoded
 * is named in `problem`.
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
  return {
    id: record.id,
    kind: recordKindOf(m),
    createdAt: new Date(record.createdAt).toISOString(),
    updatedAt: new Date(record.updatedAt).toISOString(),
    expiresAt:
      record.expiresAt === undefined ? undefined : new Date(record.expiresAt).toISOString(),
    version: record.version,
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

/**
 * The record rendered as readable text (what `sessions show` and the demo print): a session with
 * its owner, client and backends; a record of another kind with what it is, its times and its
 * stored metadata only.
 */
export function formatSessionView(view: SessionView): string {
  const kind =
    view.kind === "unknown"
      ? `unknown (${view.metadata[MetadataKeyRecordKind] ?? ""})`
      : view.pool === undefined
        ? view.kind
        : "pooled";
  const head = [
    `${view.kind === "session" ? "session" : "record "}   ${view.id}`,
    `kind      ${kind}: ${view.pool === undefined ? KindNotes[view.kind] : `a pooled backend session, kept per caller for MCP ${view.pool} clients`}`,
    `created   ${view.createdAt}   updated ${view.updatedAt}   version ${view.version}`,
    `expires   ${view.expiresAt ?? "never"}`,
  ];
  if (view.kind !== "session") return [...head, ...metadataLines(view)].join("\n");
  const lines = [
    ...head,
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
  return [...lines, ...metadataLines(view)].join("\n");
}

/**
 * `stored metadata:` and every key with its value, one line each: capabilities shortened, a
 * backend's instructions (free text, often several lines) quoted as JSON and shortened.
 */
function metadataLines(view: SessionView): string[] {
  const lines = ["stored metadata:"];
  const keys = Object.keys(view.metadata).sort();
  const width = Math.max(0, ...keys.map((k) => k.length));
  for (const key of keys) {
    const value = view.metadata[key] ?? "";
    const shown = key.startsWith(MetadataKeyBackendInstructionsPrefix)
      ? truncate(JSON.stringify(value), 60)
      : key === MetadataKeyClientCapabilities ||
          key.startsWith(MetadataKeyBackendCapabilitiesPrefix)
        ? truncate(value, 60)
        : value;
    lines.push(`  ${key.padEnd(width)}  ${shown}`);
  }
  return lines;
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
