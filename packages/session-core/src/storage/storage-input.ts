import { InvalidSessionInputError } from "./errors.js";
import { assertValidSessionId } from "./session-id.js";
import type { NewSession, SessionMetadata, SessionPatch } from "./session-record.js";

/**
 * Checks a `create` argument the way every store must, so all stores refuse the same inputs with
 * the same errors. Returns the metadata to store (a plain copy).
 * @throws {InvalidSessionIdError} for a bad ID.
 * @throws {InvalidSessionInputError} for non-string metadata or a bad deadline.
 */
export function checkNewSession(session: NewSession): SessionMetadata {
  if (typeof session !== "object" || session === null) {
    throw new InvalidSessionInputError("a new session must be an object with an id");
  }
  assertValidSessionId(session.id);
  if (session.expiresAt !== undefined) checkDeadline(session.expiresAt, "expiresAt");
  return copyMetadata(session.metadata ?? {}, "metadata");
}

/** A patch after {@link checkPatch}: its own copies, safe to keep. */
export interface CheckedPatch {
  /** Keys to write (a copy of `patch.set`; empty when absent). */
  readonly set: SessionMetadata;
  /** Keys to remove (a copy of `patch.remove`; empty when absent). */
  readonly remove: readonly string[];
  /** As in `SessionPatch.expiresAt`. */
  readonly expiresAt: number | null | undefined;
}

/**
 * Checks an `update` patch the way every store must, and returns a copy of it, so a caller
 * changing its objects afterwards cannot change what is stored.
 * @throws {InvalidSessionInputError} for non-string values, a key both set and removed, or a bad deadline.
 */
export function checkPatch(patch: SessionPatch): CheckedPatch {
  if (typeof patch !== "object" || patch === null) {
    throw new InvalidSessionInputError("a session patch must be an object");
  }
  const set = patch.set === undefined ? {} : copyMetadata(patch.set, "patch.set");
  let remove: readonly string[] = [];
  if (patch.remove !== undefined) {
    if (!Array.isArray(patch.remove)) {
      throw new InvalidSessionInputError("patch.remove must be an array of metadata keys");
    }
    remove = [...patch.remove];
    for (const key of remove) {
      checkKey(key, "patch.remove");
      if (Object.hasOwn(set, key)) {
        throw new InvalidSessionInputError(
          `metadata key ${JSON.stringify(key)} is both set and removed in one patch`,
        );
      }
    }
  }
  if (patch.expiresAt !== undefined && patch.expiresAt !== null) {
    checkDeadline(patch.expiresAt, "patch.expiresAt");
  }
  return { set, remove, expiresAt: patch.expiresAt };
}

/**
 * Checks an absolute deadline: a finite, integral number of epoch milliseconds.
 * @throws {InvalidSessionInputError} naming the field otherwise.
 */
export function checkDeadline(deadline: unknown, field: string): number {
  if (typeof deadline !== "number" || !Number.isSafeInteger(deadline) || deadline < 0) {
    throw new InvalidSessionInputError(
      `${field} must be a non-negative integer of epoch milliseconds, got ${String(deadline)}`,
    );
  }
  return deadline;
}

/**
 * Checks a `ifVersion` precondition: a positive integer.
 * @throws {InvalidSessionInputError} otherwise.
 */
export function checkVersion(version: unknown): number {
  if (typeof version !== "number" || !Number.isSafeInteger(version) || version < 1) {
    throw new InvalidSessionInputError(
      `ifVersion must be a positive integer, got ${String(version)}`,
    );
  }
  return version;
}

/**
 * A plain copy of `metadata` after checking every key and value is a string. Spread, not
 * assignment, so a key named "__proto__" stays an ordinary own key.
 */
function copyMetadata(metadata: unknown, field: string): SessionMetadata {
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
    throw new InvalidSessionInputError(`${field} must be an object of string values`);
  }
  const copy: SessionMetadata = { ...(metadata as SessionMetadata) };
  for (const key of Object.keys(copy)) {
    checkKey(key, field);
    const value = copy[key];
    if (typeof value !== "string") {
      throw new InvalidSessionInputError(
        `${field}[${JSON.stringify(key)}] must be a string, got ${value === null ? "null" : typeof value}`,
      );
    }
  }
  return copy;
}

function checkKey(key: unknown, field: string): void {
  if (typeof key !== "string" || key.length === 0) {
    throw new InvalidSessionInputError(`${field} holds an empty or non-string metadata key`);
  }
}
