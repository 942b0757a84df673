import type { SessionOwner } from "@vmcp/session-core";
import {
  createLocalJWKSet,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  jwtVerify,
} from "jose";
import { GatewayConfigError, UnauthenticatedError } from "../errors.js";
import { ifDefined } from "../if-defined.js";
import type { IdentityVerifier } from "./identity-verifier.js";
import {
  createFileJwksSet,
  createUrlJwksSet,
  type JwksRefreshOptions,
  readJwksFile,
} from "./jwks-source.js";

/** Default of `requireExp`: tokens without an `exp` claim are refused. */
export const DefaultRequireExp = true;

/** Options for {@link JwtVerifier}; give exactly one of `secret`, `jwks` and `keySet`. */
export interface JwtVerifierOptions {
  /** HMAC secret for HS256/HS384/HS512 tokens. */
  readonly secret?: string;
  /** A fixed JSON Web Key Set of public keys (RS*, ES*, PS*, EdDSA). */
  readonly jwks?: JSONWebKeySet;
  /** A key resolver over public keys that may change (see `jwks-source.ts`). */
  readonly keySet?: JWTVerifyGetKey;
  /**
   * Refuse tokens without an `exp` claim. Default {@link DefaultRequireExp} (true): a token
   * that never expires is only accepted when this is explicitly false.
   */
  readonly requireExp?: boolean;
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
 * `iss` or `sub`, and (unless `requireExp` is false) a token without `exp`, is refused. Any
 * failure is `UnauthenticatedError`.
 */
export class JwtVerifier implements IdentityVerifier {
  readonly kind = "jwt";
  readonly #key: Uint8Array | JWTVerifyGetKey;
  readonly #options: JWTVerifyOptions;

  /** @throws {GatewayConfigError} unless exactly one of `secret`, `jwks` and `keySet` is given. */
  constructor(options: JwtVerifierOptions) {
    const sources = [options.secret, options.jwks, options.keySet].filter((s) => s !== undefined);
    if (sources.length !== 1) {
      throw new GatewayConfigError(
        "identity.secret",
        "give exactly one of secret, jwksFile or jwksUrl",
      );
    }
    if (options.secret !== undefined) {
      this.#key = new TextEncoder().encode(options.secret);
      this.#options = { algorithms: ["HS256", "HS384", "HS512"] };
    } else {
      this.#key = options.keySet ?? createLocalJWKSet(options.jwks as JSONWebKeySet);
      this.#options = {};
    }
    this.#options = {
      ...this.#options,
      ...((options.requireExp ?? DefaultRequireExp) ? { requiredClaims: ["exp"] } : {}),
      clockTolerance: options.clockToleranceSec ?? 30,
      ...ifDefined("issuer", options.issuer),
      ...ifDefined("audience", options.audience),
    };
  }

  /**
   * A verifier whose keys come from a JWKS JSON file, read now and followed afterwards: a key
   * removed from the file is refused within `refresh.refreshMs` (default 60 s), see
   * `createFileJwksSet`.
   * @throws {GatewayConfigError} naming `identity.jwksFile` when the file is unreadable now.
   */
  static async fromJwksFile(
    path: string,
    options: Omit<JwtVerifierOptions, "jwks" | "secret" | "keySet">,
    refresh: JwksRefreshOptions = {},
  ): Promise<JwtVerifier> {
    let text: string;
    try {
      text = await readJwksFile(path);
    } catch (error) {
      throw new GatewayConfigError(
        "identity.jwksFile",
        `cannot load ${path}: ${(error as Error).message}`,
      );
    }
    return new JwtVerifier({ ...options, keySet: createFileJwksSet(path, text, refresh) });
  }

  /**
   * A verifier whose keys are fetched from a JWKS URL and cached (jose's remote key set): a key
   * removed at the URL is refused within `refresh.refreshMs` (default 60 s).
   */
  static fromJwksUrl(
    url: string,
    options: Omit<JwtVerifierOptions, "jwks" | "secret" | "keySet">,
    refresh: JwksRefreshOptions = {},
  ): JwtVerifier {
    return new JwtVerifier({ ...options, keySet: createUrlJwksSet(url, refresh) });
  }

  async verify(bearerToken: string | undefined): Promise<SessionOwner> {
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
