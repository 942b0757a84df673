import { z } from "zod";
import { DefaultJwksRefreshMs } from "./jwks-source.js";
import { DefaultRequireExp } from "./jwt-verifier.js";

/**
 * The `identity` section of the gateway configuration (the config schema composes it): who the
 * caller is, from `Authorization: Bearer <token>`. It lives beside the verifiers that
 * `createVerifier` builds from it, so the identity room never reaches into the config room.
 */
export const IdentityConfigSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("none") }),
  z.strictObject({
    kind: z.literal("static"),
    /** Token to identity. */
    tokens: z
      .record(
        z.string().min(1),
        z.strictObject({ issuer: z.string().min(1), subject: z.string().min(1) }),
      )
      .refine((t) => Object.keys(t).length > 0, "at least one token is needed"),
  }),
  z
    .strictObject({
      kind: z.literal("jwt"),
      /** HMAC secret (HS256/384/512). */
      secret: z.string().min(32, "use a secret of at least 32 characters").optional(),
      /** Path to a JWKS JSON file (public keys), re-read when it changes. */
      jwksFile: z.string().min(1).optional(),
      /** URL of a JWKS (public keys), fetched and cached. */
      jwksUrl: z
        .url({ protocol: /^https?$/, error: "expected an http:// or https:// URL" })
        .optional(),
      /** A removed key is refused within this many ms (file re-check / URL cache age), default 60000. */
      jwksRefreshMs: z.int().min(100).optional().meta({ appliedDefault: DefaultJwksRefreshMs }),
      /** An unknown `kid` re-reads the key set at most once per this many ms, default 30000. */
      jwksCooldownMs: z.int().nonnegative().optional(),
      /** Bound on one JWKS URL fetch, ms, default 5000. */
      jwksTimeoutMs: z.int().min(100).optional(),
      /** Refuse tokens without `exp`, default true. */
      requireExp: z.boolean().optional().meta({ appliedDefault: DefaultRequireExp }),
      issuer: z.string().min(1).optional(),
      audience: z.string().min(1).optional(),
      /** Allowed clock skew, seconds, default 30. */
      clockToleranceSec: z.int().nonnegative().optional(),
    })
    .superRefine((value, ctx) => {
      const sources = [value.secret, value.jwksFile, value.jwksUrl].filter(
        (s) => s !== undefined,
      ).length;
      if (sources !== 1) {
        ctx.addIssue({
          code: "custom",
          path: ["secret"],
          message: "the jwt identity needs exactly one of secret, jwksFile or jwksUrl",
        });
      }
    }),
]);

/** The validated `identity` section. */
export type IdentityConfig = z.output<typeof IdentityConfigSchema>;
