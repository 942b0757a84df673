import { createHash, timingSafeEqual } from "node:crypto";
import type { SessionOwner } from "@vmcp/session-core";
import { UnauthenticatedError } from "../errors.js";
import type { IdentityVerifier } from "./identity-verifier.js";

/**
 * Identity `static`: a fixed map from bearer token to identity, for demos and tests. Tokens are
 * compared through their SHA-256 digests in constant time. A missing or unknown token is refused
 * with `UnauthenticatedError`.
 */
export class StaticTokenVerifier implements IdentityVerifier {
  readonly kind = "static";
  readonly #entries: { digest: Buffer; identity: SessionOwner }[];

  /** @param tokens token to identity; at least one. */
  constructor(tokens: Readonly<Record<string, SessionOwner>>) {
    this.#entries = Object.entries(tokens).map(([token, identity]) => ({
      digest: digest(token),
      identity: { issuer: identity.issuer, subject: identity.subject },
    }));
  }

  async verify(bearerToken: string | undefined): Promise<SessionOwner> {
    if (bearerToken === undefined || bearerToken === "") {
      throw new UnauthenticatedError("a bearer token is required");
    }
    const given = digest(bearerToken);
    let found: SessionOwner | undefined;
    for (const entry of this.#entries) {
      if (timingSafeEqual(entry.digest, given)) found = entry.identity;
    }
    if (found === undefined) throw new UnauthenticatedError("unknown bearer token");
    return found;
  }
}

function digest(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}
