import type { IdentityConfig } from "../config/gateway-config.js";
import { AnonymousVerifier } from "./anonymous-verifier.js";
import type { IdentityVerifier } from "./identity-verifier.js";
import { JwtVerifier } from "./jwt-verifier.js";
import { StaticTokenVerifier } from "./static-token-verifier.js";

/**
 * The verifier the configuration names: `none` (anonymous), `static` or `jwt`.
 * @throws {GatewayConfigError} when a JWKS file cannot be loaded.
 */
export async function createVerifier(config: IdentityConfig): Promise<IdentityVerifier> {
  switch (config.kind) {
    case "none":
      return new AnonymousVerifier();
    case "static":
      return new StaticTokenVerifier(config.tokens);
    case "jwt": {
      const common = {
        ...(config.issuer === undefined ? {} : { issuer: config.issuer }),
        ...(config.audience === undefined ? {} : { audience: config.audience }),
        ...(config.clockToleranceSec === undefined
          ? {}
          : { clockToleranceSec: config.clockToleranceSec }),
      };
      if (config.jwksFile !== undefined) return JwtVerifier.fromJwksFile(config.jwksFile, common);
      return new JwtVerifier({
        ...common,
        ...(config.secret === undefined ? {} : { secret: config.secret }),
      });
    }
  }
}
