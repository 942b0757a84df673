/**
 * How a pooled backend session is named: one per caller and declared client capabilities, under an
 * ID any replica derives alike and no client can compute.
 */
import { createHmac, randomBytes } from "node:crypto";
import { generateSessionId, type SessionOwner } from "@vmcp/session-core";

/** The prefix of every pooled backend session's ID, so an operator (and the gateway) tells them apart. */
export const PooledSessionPrefix = "vmcp.pool.";

/** The protocol revision of the clients pooled backend sessions serve (the value of `vmcp.session.pool`). */
export const PoolRevision = "2026-07-28";

/**
 * `value` as JSON with every object's keys sorted, recursively, so two equal capability objects
 * written in another key order give the same text. Values JSON cannot hold are dropped as
 * `JSON.stringify` drops them.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? "null";
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== "object" || value === null) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
  }
  return sorted;
}

/**
 * The ID of the pooled backend session of `owner` with the declared client `capabilities`:
 * {@link PooledSessionPrefix} and the base64url HMAC-SHA256, keyed by `key` (the binding secret,
 * shared by the replicas), of the issuer, the subject and the canonical capabilities
 * ({@link canonicalJson}). Every replica sharing the key derives the same ID, so any of them
 * restores the session; nobody without the key can name it. 53 visible ASCII characters.
 */
export function pooledSessionId(
  key: string | Uint8Array,
  owner: SessionOwner,
  capabilities: unknown,
): string {
  const digest = createHmac("sha256", key)
    .update(JSON.stringify([owner.issuer, owner.subject, canonicalJson(capabilities)]))
    .digest("base64url");
  return `${PooledSessionPrefix}${digest}`;
}

/** A fresh random ID under {@link PooledSessionPrefix}: an anonymous caller's per-request session. */
export function anonymousPooledSessionId(): string {
  return `${PooledSessionPrefix}${generateSessionId()}`;
}

/** A random key for pooled session IDs, for a gateway configured without a binding secret. */
export function randomPoolKey(): Uint8Array {
  return randomBytes(32);
}
