import { readFile } from "node:fs/promises";
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWSHeaderParameters,
  type JWTVerifyGetKey,
} from "jose";

/** Default bound on how long a removed key keeps verifying: 60 s, in ms. */
export const DefaultJwksRefreshMs = 60_000;
/** Default pause between re-reads triggered by an unknown `kid`: 30 s, in ms (jose's default). */
export const DefaultJwksCooldownMs = 30_000;
/** Default bound on one JWKS URL fetch: 5 s, in ms (jose's default). */
export const DefaultJwksTimeoutMs = 5_000;

/** How a changing key set is followed. */
export interface JwksRefreshOptions {
  /**
   * The key set is re-read (a file) or re-fetched (a URL) on the first verification after it is
   * this many ms old, so a key removed from the source is refused by every replica within this
   * bound. Default {@link DefaultJwksRefreshMs} (60 s).
   */
  readonly refreshMs?: number;
  /**
   * A token whose `kid` matches no key triggers a re-read at most once per this many ms, so a
   * newly added key works at once without letting unknown `kid`s force a read per request.
   * Default {@link DefaultJwksCooldownMs} (30 s).
   */
  readonly cooldownMs?: number;
  /** URL only: bound on one fetch, ms. Default {@link DefaultJwksTimeoutMs} (5 s). */
  readonly timeoutMs?: number;
}

/**
 * Parses a JWKS document.
 * @throws {Error} when `text` is not JSON or has no `keys` array.
 */
export function parseJwks(text: string): JSONWebKeySet {
  const jwks = JSON.parse(text) as JSONWebKeySet;
  if (typeof jwks !== "object" || jwks === null || !Array.isArray(jwks.keys)) {
    throw new Error("no `keys` array");
  }
  return jwks;
}

/**
 * A key resolver over a JWKS file that follows changes to the file, with the semantics of jose's
 * `createRemoteJWKSet`: the file is read again on the first verification after `refreshMs`
 * since the last read (its keys are rebuilt only when its text changed), and once per
 * `cooldownMs` when a token's `kid` matches no key. While the file cannot be read or parsed,
 * verifications fail (closed) and every one tries to read it again; write it atomically
 * (a temporary file, then rename).
 *
 * @param initialText the file's text as read at startup (already validated).
 */
export function createFileJwksSet(
  path: string,
  initialText: string,
  options: JwksRefreshOptions = {},
): JWTVerifyGetKey {
  const refreshMs = options.refreshMs ?? DefaultJwksRefreshMs;
  const cooldownMs = options.cooldownMs ?? DefaultJwksCooldownMs;
  let text = initialText;
  let local = createLocalJWKSet(parseJwks(initialText));
  let readAt = performance.now();
  let pending: Promise<void> | undefined;

  const reload = (): Promise<void> => {
    pending ??= (async () => {
      const fresh = await readFile(path, "utf8");
      if (fresh !== text) {
        local = createLocalJWKSet(parseJwks(fresh));
        text = fresh;
      }
      readAt = performance.now();
    })().finally(() => {
      pending = undefined;
    });
    return pending;
  };
  const olderThan = (ms: number) => performance.now() - readAt >= ms;

  return async (protectedHeader: JWSHeaderParameters, token: FlattenedJWSInput) => {
    if (olderThan(refreshMs)) await reload();
    try {
      return await local(protectedHeader, token);
    } catch (error) {
      if (
        (error as { code?: unknown }).code === "ERR_JWKS_NO_MATCHING_KEY" &&
        olderThan(cooldownMs)
      ) {
        await reload();
        return local(protectedHeader, token);
      }
      throw error;
    }
  };
}

/**
 * Reads and validates a JWKS file once (at startup).
 * @throws {Error} when it cannot be read or is not a JWKS.
 */
export async function readJwksFile(path: string): Promise<string> {
  const text = await readFile(path, "utf8");
  parseJwks(text);
  return text;
}

/**
 * A key resolver over a JWKS URL: jose's `createRemoteJWKSet` with `cacheMaxAge` = `refreshMs`,
 * `cooldownDuration` = `cooldownMs` and `timeoutDuration` = `timeoutMs`. The set is fetched on
 * first use; while it cannot be fetched, verifications fail (closed).
 */
export function createUrlJwksSet(url: string, options: JwksRefreshOptions = {}): JWTVerifyGetKey {
  return createRemoteJWKSet(new URL(url), {
    cacheMaxAge: options.refreshMs ?? DefaultJwksRefreshMs,
    cooldownDuration: options.cooldownMs ?? DefaultJwksCooldownMs,
    timeoutDuration: options.timeoutMs ?? DefaultJwksTimeoutMs,
  });
}
