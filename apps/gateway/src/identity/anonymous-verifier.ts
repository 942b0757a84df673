import type { CallerIdentity, IdentityVerifier } from "./identity-verifier.js";

/** Identity `none`: every caller is anonymous and sessions have no owner. Tokens are ignored. */
export class AnonymousVerifier implements IdentityVerifier {
  readonly kind = "none";

  async verify(): Promise<CallerIdentity | undefined> {
    return undefined;
  }
}
