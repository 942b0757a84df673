import { readFile } from "node:fs/promises";
import {
  createLocalJWKSet,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  jwtVerify,
} from "jose";
import { GatewayConfigError, UnauthenticatedError } from "../errors.js";
import type { CallerIdentity, IdentityVerifier } from "./identity-verifier.js";

/** Options for {@link JwtVerifier}; give exactly one of `secret` and `jwks`. */
export interface JwtVerifierOptions {
  /** HMAC secret for HS256/HS384/HS512 tokens. */
  readonly secret?: string;
  /** A JSON Web Key Set of public keys (RS*, ES*, PS*, EdDSA). */
  readonly jwks?: JSONWebKeySet;
  /** Required `iss`; default any. */
  readonly issuer?: string;
  /** Required `aud`; default any. */
  readonly audience?: string;
  /** Allowed clock skew for `exp`/`nbf`, seconds; default 30. */
  readonly clockToleranceSec?: number;
}

/**
 * Identity `jwt`: verifies the bearer token as a JWT (signature, `exp`, `nbf`, and `iss`/`aud`
 * when configured) with jose. The identity is `{issuer: iss, subject: sub}`; a token without
 * `iss` or `sub` is refused. Any failure is `UnauthenticatedError`.
 */
export class JwtVerifier implements IdentityVerifier {
  readonly kind = "jwt";
  readonly #key: Uint8Array | JWTVerifyGetKey;
  readonly #options: JWTVerifyOptions;

  /** @throws {GatewayConfigError} unless exactly one of `secret` and `jwks` is given. */
  constructor(options: JwtVerifierOptions) {
    if (options.secret !== undefined && options.jwks === undefined) {
      this.#key = new TextEncoder().encode(options.secret);
      this.#options = { algorithms: ["HS256", "HS384", "HS512"] };
    } else if (options.jwks !== undefined && options.secret === undefined) {
      this.#key = createLocalJWKSet(options.jwks);
      this.#options = {};
    } else {
      throw new GatewayConfigError("identity.secret", "give exactly one of secret or jwksFile");
    }
    this.#options = {
      ...this.#options,
      clockTolerance: options.clockToleranceSec ?? 30,
      ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
      ...(options.audience === undefined ? {} : { audience: options.audience }),
    };
  }

  /**
   * A verifier whose keys come from a JWKS JSON file.
   * @throws {GatewayConfigError} naming `identity.jwksFile` when the file is unreadable.
   */
  static async fromJwksFile(
    path: string,
    options: Omit<JwtVerifierOptions, "jwks" | "secret">,
  ): Promise<JwtVerifier> {
    let jwks: JSONWebKeySet;
    try {
      jwks = JSON.parse(await readFile(path, "utf8")) as JSONWebKeySet;
      if (!Array.isArray(jwks.keys)) throw new Error("no `keys` array");
    } catch (error) {
      throw new GatewayConfigError(
        "identity.jwksFile",
        `cannot load ${path}: ${(error as Error).message}`,
      );
    }
    return new JwtVerifier({ ...options, jwks });
  }

  async verify(bearerToken: string | undefined): Promise<CallerIdentity> {
    if (bearerToken === undefined || bearerToken === "") {
      throw new UnauthenticatedError("a bearer token is required");
    }
    let payload: { iss?: unknown; sub?: unknown };
    try {
      // Two branches because jose's overloads take a key or a key resolver, not their union.
      payload = (
        typeof this.#key === "function"
          ? await jwtVerify(bearerToken, this.#key, this.#options)
          : await jwtVerify(bearerToken, this.#key, this.#options)
      ).payload;
    } catch (error) {
      throw new UnauthenticatedError(`invalid token: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (
      typeof payload.iss !== "string" ||
      payload.iss === "" ||
      typeof payload.sub !== "string" ||
      payload.sub === ""
    ) {
      throw new UnauthenticatedError("the token needs non-empty iss and sub claims");
    }
    return { issuer: payload.iss, subject: payload.sub };
  }
}
