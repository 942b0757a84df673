/**
 * The default granularity of the sliding TTL: 60,000 ms (1 minute), and never more than a tenth
 * of the TTL. See {@link slideDue}.
 */
export const DefaultTtlSlideGranularityMs = 60_000;

/**
 * The granularity actually used for a TTL: `granularityMs`, capped at a tenth of `ttlMs`.
 * @throws {RangeError} for a negative or non-integer `granularityMs`.
 */
export function effectiveSlideGranularity(ttlMs: number, granularityMs: number): number {
  if (!Number.isSafeInteger(granularityMs) || granularityMs < 0) {
    throw new RangeError(
      `ttlSlideGranularityMs must be a non-negative integer of ms, got ${String(granularityMs)}`,
    );
  }
  return Math.min(granularityMs, Math.floor(ttlMs / 10));
}

/**
 * Whether a verified caller's request should move the session's deadline (`expiresAt`, epoch
 * ms) to `now + ttlMs`: when that moves it by at least `granularityMs`, or the session has no
 * deadline. So a busy session costs one extra store write per `granularityMs`, and a session
 * expires at most `granularityMs` earlier than with a slide on every request.
 */
export function slideDue(
  expiresAt: number | undefined,
  now: number,
  ttlMs: number,
  granularityMs: number,
): boolean {
  return expiresAt === undefined || now + ttlMs - expiresAt >= granularityMs;
}
