import { createHmac } from "node:crypto";
import type { DiscoverResult } from "@modelcontextprotocol/client";
import { MetadataKeyBackendEra, MetadataKeyRecordKind, RecordKind } from "@vmcp/session-keys";

/**
 * A backend's protocol era as the gateway last found it:
 * - `modern`: it answered `server/discover` (MCP 2026-07-28); `discover` is that answer, which
 *   every relayed call adopts (`connect(transport, { prior })`, no round trip);
 * - `legacy`: it speaks 2025-era `initialize` only.
 * `storedAt` (epoch ms) dates it: a verdict older than the configured TTL is not used.
 */
export type BackendVerdict =
  | { readonly kind: "modern"; readonly discover: DiscoverResult; readonly storedAt: number }
  | { readonly kind: "legacy"; readonly storedAt: number };

/** What an HTTP backend's verdict record is keyed by: its endpoint and the headers it is called with. */
export interface VerdictTarget {
  /** The backend's Streamable HTTP endpoint URL, as configured. */
  readonly url: string;
  /** The headers the gateway sends it (its authorization context), as configured. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The prefix of every verdict record's ID, so an operator tells them from client sessions. */
export const VerdictRecordPrefix = "vmcp.era.";

/** The key the record ID is derived with when no binding secret is configured. */
const DefaultIdKey = "vmcp.backend.era.v1";

/**
 * The ID of the store record holding a backend's verdict: {@link VerdictRecordPrefix} and the
 * base64url HMAC-SHA256 of its URL and headers (sorted by name), keyed by the binding secret when
 * one is configured (so replicas sharing the secret share the record, and no client can name it
 * as an `Mcp-Session-Id`), by a fixed key otherwise. 52 visible ASCII characters: a valid session
 * ID. The headers are part of it because a verdict holds only for the authorization context that
 * obtained it.
 */
export function verdictRecordId(target: VerdictTarget, secret?: string | Uint8Array): string {
  const headers = Object.entries(target.headers ?? {})
    .map(([name, value]) => [name.toLowerCase(), value] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const digest = createHmac("sha256", secret ?? DefaultIdKey)
    .update(JSON.stringify([target.url, headers]))
    .digest("base64url");
  return `${VerdictRecordPrefix}${digest}`;
}

/** The record metadata holding `verdict` (under `vmcp.backend.era`), marked as a verdict (`vmcp.kind`). */
export function encodeVerdict(verdict: BackendVerdict): Record<string, string> {
  return {
    [MetadataKeyRecordKind]: RecordKind.BackendEra,
    [MetadataKeyBackendEra]: JSON.stringify(verdict),
  };
}

/**
 * The verdict a record's metadata holds; `undefined` when it holds none or one that does not
 * decode (a foreign or corrupt value counts as no verdict: the backend is probed again).
 */
export function decodeVerdict(
  metadata: Readonly<Record<string, string>>,
): BackendVerdict | undefined {
  const text = metadata[MetadataKeyBackendEra];
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.storedAt !== "number" || !Number.isFinite(v.storedAt)) return undefined;
  if (v.kind === "legacy") return { kind: "legacy", storedAt: v.storedAt };
  if (v.kind !== "modern" || !isDiscoverResult(v.discover)) return undefined;
  return { kind: "modern", discover: v.discover, storedAt: v.storedAt };
}

function isDiscoverResult(value: unknown): value is DiscoverResult {
  if (typeof value !== "object" || value === null) return false;
  const d = value as Record<string, unknown>;
  return (
    Array.isArray(d.supportedVersions) &&
    d.supportedVersions.every((v) => typeof v === "string") &&
    typeof d.capabilities === "object" &&
    d.capabilities !== null
  );
}
