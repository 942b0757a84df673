import type { SessionOwner } from "@vmcp/session-core";
import type { IdentityVerifier } from "./identity-verifier.js";

/** Identity `none`: every caller is anonymous and sessions have no owner. Tokens are ignored. */
export class AnonymousVerifier implements IdentityVerifier {
  readonly kind = "none";

  async verify(): Promise<SessionOwner | undefined> {
    return undefined;
  }
}
