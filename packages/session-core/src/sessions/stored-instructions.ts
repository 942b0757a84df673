import { MetadataKeyBackendInstructionsPrefix } from "@vmcp/session-keys";
import type { SessionMetadata } from "../storage/session-record.js";
import type { ResolvedSizeLimits } from "./session-size.js";

/**
 * A backend's `initialize` instructions as they are stored: `undefined` when it sent none, or
 * when they are larger than `maxMetadataValueBytes` (UTF-8 bytes). Instructions are advice to the
 * client, not what the session needs to work, so instructions too large to store never refuse a
 * session: the replica that connected the backend still reports them, one that reattaches to
 * its backend session without `initialize` reports none.
 */
export function storableInstructions(
  instructions: string | undefined,
  limits: Pick<ResolvedSizeLimits, "maxMetadataValueBytes">,
): string | undefined {
  if (instructions === undefined) return undefined;
  return Buffer.byteLength(instructions, "utf8") > limits.maxMetadataValueBytes
    ? undefined
    : instructions;
}

/**
 * Takes backend instructions (`vmcp.backend.instructions.*`) out of a new session's `metadata`,
 * largest first, until all its keys and values fit `maxMetadataBytes` (UTF-8 bytes) or none is
 * left, so stored instructions alone never make a session too large to create. Changes
 * `metadata` in place; returns the keys taken out (none when it already fits).
 */
export function fitInstructions(
  metadata: SessionMetadata,
  limits: Pick<ResolvedSizeLimits, "maxMetadataBytes">,
): string[] {
  const sizes = new Map<string, number>();
  let total = 0;
  for (const [key, value] of Object.entries(metadata)) {
    const bytes = Buffer.byteLength(key, "utf8") + Buffer.byteLength(value, "utf8");
    total += bytes;
    if (key.startsWith(MetadataKeyBackendInstructionsPrefix)) sizes.set(key, bytes);
  }
  const largestFirst = [...sizes].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1));
  const removed: string[] = [];
  for (const [key, bytes] of largestFirst) {
    if (total <= limits.maxMetadataBytes) break;
    delete metadata[key];
    total -= bytes;
    removed.push(key);
  }
  return removed;
}
