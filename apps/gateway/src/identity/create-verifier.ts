import { ifDefined } from "../if-defined.js";
import { AnonymousVerifier } from "./anonymous-verifier.js";
import type { IdentityConfig } from "./identity-config.js";
import type { IdentityVerifier } from "./identity-verifier.js";
import { JwtVerifier } from "./jwt-verifier.js";
import { StaticTokenVerifier } from "./static-token-verifier.js";
import { TokenSizeLimitedVerifier } from "./token-size-limit.js";

/** Options of {@link createVerifier} beyond the identity configuration. */
export interface CreateVerifierOptions {
  /** Bound on one bearer token, bytes (`static` and `jwt`); default 8192. */
  readonly maxTokenBytes?: number;
}

/**
 * The verifier the configuration names: `none` (anonymous), `static` or `jwt`. The `static` and
 * `jwt` verifiers refuse a token over `maxTokenBytes` (HTTP 431) before looking at it.
 * @throws {GatewayConfigError} when a JWKS file cannot be loaded.
 */
export async function createVerifier(
  config: IdentityConfig,
  options: CreateVerifierOptions = {},
): Promise<IdentityVerifier> {
  switch (config.kind) {
    case "none":
      return new AnonymousVerifier();
    case "static":
      return new TokenSizeLimitedVerifier(
        new StaticTokenVerifier(config.tokens),
        options.maxTokenBytes,
      );
    case "jwt":
      return new TokenSizeLimitedVerifier(await jwtVerifier(config), options.maxTokenBytes);
  }
}

async function jwtVerifier(config: Extract<IdentityConfig, { kind: "jwt" }>): Promise<JwtVerifier> {
  const common = {
    ...ifDefined("issuer", config.issuer),
    ...ifDefined("audience", config.audience),
    ...ifDefined("clockToleranceSec", config.clockToleranceSec),
    ...ifDefined("requireExp", config.requireExp),
  };
  const refresh = {
    ...ifDefined("refreshMs", config.jwksRefreshMs),
    ...ifDefined("cooldownMs", config.jwksCooldownMs),
    ...ifDefined("timeoutMs", config.jwksTimeoutMs),
  };
  if (config.jwksFile !== undefined) {
    return JwtVerifier.fromJwksFile(config.jwksFile, common, refresh);
  }
  if (config.jwksUrl !== undefined) return JwtVerifier.fromJwksUrl(config.jwksUrl, common, refresh);
  return new JwtVerifier({ ...common, ...ifDefined("secret", config.secret) });
}
