import { type BackendEntry, encodeBackendEntry } from "./backend-entry.js";
import { encodeBackendIds } from "./backend-ids.js";
import { backendKeys, parseBackendKey } from "./backend-keys.js";
import { MetadataKeyBackendIds } from "./keys.js";
import { readBackendIds } from "./read-metadata.js";

/** A change to a session's backends. */
export interface BackendChange {
  /** Backends to remove: their keys go, and the list is rewritten without them. */
  readonly drop?: readonly string[];
  /**
   * Per-backend keys to write (for example a new backend session ID, see `encodeBackendEntry`).
   * Keys of a backend that is no longer in the list are skipped, so a concurrent removal is never
   * undone.
   */
  readonly set?: Readonly<Record<string, string>>;
  /**
   * Per-backend keys to remove (for example the instructions of a backend initialised afresh that
   * sent none). Only keys that are stored are removed; a key also in `set` is set, not removed.
   */
  readonly unset?: readonly string[];
}

/** The metadata writes that apply a {@link BackendChange}, computed by {@link planBackendChange}. */
export interface BackendChangePlan {
  /** Keys to write, with their new values (only those whose value changes). */
  readonly set: Readonly<Record<string, string>>;
  /** Keys to delete (only those present). */
  readonly remove: readonly string[];
  /** The `vmcp.backend.ids` value after the change; `undefined` when the key is (left) absent. */
  readonly backendIds: string | undefined;
  /** Whether anything would change (`set` or `remove` is not empty). */
  readonly changed: boolean;
}

/**
 * Computes what `change` writes to `metadata`: the dropped backends' keys removed, `vmcp.backend.ids`
 * rewritten without them (removed when none is left), the `set` keys whose value differs,
 * skipping per-backend keys of backends no longer listed, and the stored `unset` keys removed.
 * @throws {InvalidBackendListError} when the stored `vmcp.backend.ids` holds an invalid entry.
 * @throws {InvalidWorkloadIdError} when a dropped workload ID is not usable.
 */
export function planBackendChange(
  metadata: Readonly<Record<string, string>>,
  change: BackendChange,
): BackendChangePlan {
  const current = metadata[MetadataKeyBackendIds];
  const listed = readBackendIds(metadata);
  const drop = new Set(change.drop ?? []);
  const remaining = listed.filter((id) => !drop.has(id));
  const set: Record<string, string> = {};
  const remove: string[] = [];
  for (const id of drop) for (const key of backendKeys(id)) if (key in metadata) remove.push(key);
  for (const [key, value] of Object.entries(change.set ?? {})) {
    const owner = parseBackendKey(key);
    if (owner !== undefined && !remaining.includes(owner)) continue;
    if (metadata[key] !== value) set[key] = value;
  }
  const setKeys = new Set(Object.keys(change.set ?? {}));
  for (const key of new Set(change.unset ?? [])) {
    if (key in metadata && !setKeys.has(key) && !remove.includes(key)) remove.push(key);
  }
  let backendIds = current;
  if (remaining.length !== listed.length) {
    if (remaining.length === 0) {
      remove.push(MetadataKeyBackendIds);
      backendIds = undefined;
    } else {
      backendIds = encodeBackendIds(remaining);
      set[MetadataKeyBackendIds] = backendIds;
    }
  }
  return { set, remove, backendIds, changed: Object.keys(set).length > 0 || remove.length > 0 };
}

/** `metadata` with `plan` applied: a new object; `metadata` is not changed. */
export function applyBackendChangePlan(
  metadata: Readonly<Record<string, string>>,
  plan: BackendChangePlan,
): Record<string, string> {
  const applied: Record<string, string> = { ...metadata, ...plan.set };
  for (const key of plan.remove) delete applied[key];
  return applied;
}

/**
 * `metadata` with `entry` connected: the backend's old per-backend keys replaced by the entry's,
 * and its workload ID added to `vmcp.backend.ids`. A new object; `metadata` is not changed.
 * @throws {InvalidBackendListError} when the stored list holds an invalid entry.
 * @throws {InvalidWorkloadIdError} when the entry's workload ID is not usable.
 */
export function withBackend(
  metadata: Readonly<Record<string, string>>,
  entry: BackendEntry,
): Record<string, string> {
  const listed = readBackendIds(metadata);
  const next: Record<string, string> = { ...metadata };
  for (const key of backendKeys(entry.workloadId)) delete next[key];
  Object.assign(next, encodeBackendEntry(entry));
  next[MetadataKeyBackendIds] = encodeBackendIds([...listed, entry.workloadId]);
  return next;
}

/**
 * `metadata` without backend `workloadId`: its keys removed and the list rewritten (removed when
 * empty), as {@link planBackendChange} with `drop`. A new object; `metadata` is not changed.
 * @throws {InvalidBackendListError} when the stored list holds an invalid entry.
 */
export function withoutBackend(
  metadata: Readonly<Record<string, string>>,
  workloadId: string,
): Record<string, string> {
  return applyBackendChangePlan(metadata, planBackendChange(metadata, { drop: [workloadId] }));
}
