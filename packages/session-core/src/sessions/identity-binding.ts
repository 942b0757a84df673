import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { decodeIdentity, encodeIdentity, type StoredIdentity } from "@vmcp/session-keys";
import { SessionDecodeError } from "../storage/errors.js";
import type { SessionMetadata } from "../storage/session-record.js";
import { SessionOwnerMismatchError } from "./errors.js";

/**
 * Who owns a session: the verified identity (for example a JWT's `iss` and `sub`), never a token,
 * so a refreshed token keeps its sessions.
 */
export interface SessionOwner {
  /** The identity's issuer. */
  readonly issuer: string;
  /** The identity's subject at that issuer. */
  readonly subject: string;
}

/**
 * Binds sessions to owners with HMAC-SHA256 over (issuer, subject) under a secret key, stored in
 * `vmcp.identity.binding` (issuer and subject are also stored, for operators). Verification
 * compares in constant time (`crypto.timingSafeEqual`).
 *
 * Every replica must use the same secret, or a replica will refuse the rightful owner. Without a
 * secret a random per-process key is used: fine for one replica, wrong for several.
 */
export class IdentityBinder {
  readonly #key: Buffer;

  /** @param secret the HMAC key (string as UTF-8, or bytes); default 32 random bytes for this process only. */
  constructor(secret?: string | Uint8Array) {
    if (secret === undefined) this.#key = randomBytes(32);
    else this.#key = typeof secret === "string" ? Buffer.from(secret, "utf8") : Buffer.from(secret);
    if (this.#key.length === 0) throw new RangeError("the identity binding secret is empty");
  }

  /** The binding value for `owner`: base64url HMAC-SHA256 of its issuer and subject. */
  bindingFor(owner: SessionOwner): string {
    return createHmac("sha256", this.#key)
      .update(JSON.stringify([owner.issuer, owner.subject]))
      .digest("base64url");
  }

  /** The `vmcp.identity.*` metadata that binds a session to `owner`. */
  metadataFor(owner: SessionOwner): SessionMetadata {
    return encodeIdentity({ ...owner, binding: this.bindingFor(owner) });
  }

  /**
   * Checks that `owner` may use the session whose metadata is given. A session without a binding
   * is open to any caller; a bound session needs the same identity, and a binding that verifies
   * under this binder's secret (the stored issuer and subject alone never admit anyone).
   * @throws {SessionOwnerMismatchError} for another identity, or none, or the same identity
   *   whose stored binding does not verify (its `reason` says which).
   * @throws {SessionDecodeError} when the stored identity keys are incomplete.
   */
  verify(
    sessionId: string,
    metadata: Readonly<SessionMetadata>,
    owner: SessionOwner | undefined,
  ): void {
    let stored: StoredIdentity | undefined;
    try {
      stored = decodeIdentity(metadata);
    } catch (error) {
      throw new SessionDecodeError(sessionId, "its identity binding is invalid", { cause: error });
    }
    if (stored === undefined) return;
    if (owner === undefined) throw new SessionOwnerMismatchError(sessionId, "anonymous");
    const expected = Buffer.from(this.bindingFor(owner), "utf8");
    const actual = Buffer.from(stored.binding, "utf8");
    if (expected.length === actual.length && timingSafeEqual(expected, actual)) return;
    // Refused either way; the reason only tells the operator which. The stored issuer and
    // subject are plain text beside the binding, so comparing them reveals nothing new.
    const sameIdentity = stored.issuer === owner.issuer && stored.subject === owner.subject;
    throw new SessionOwnerMismatchError(
      sessionId,
      sameIdentity ? "unverified-binding" : "other-identity",
    );
  }
}
