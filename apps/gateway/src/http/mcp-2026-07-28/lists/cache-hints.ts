/** A list result's caching hint (MCP 2026-07-28 `ttlMs` and `cacheScope`). */
export interface CacheHint {
  /** How long the client may reuse the result, ms (an integer, at least 0). */
  readonly ttlMs: number;
  /** `private`: per caller only; `public`: shareable across callers. */
  readonly cacheScope: "public" | "private";
}

/** What a backend page said about caching (the fields as it sent them, unchecked). */
export interface BackendHint {
  readonly ttlMs?: unknown;
  readonly cacheScope?: unknown;
}

/** Inputs of {@link aggregateHint} besides the backend pages. */
export interface AggregateHintOptions {
  /** Upper bound on the `ttlMs`, ms (the configured `modern.listTtlCapMs`). */
  readonly capMs: number;
  /** Whether the list may depend on who asks: the gateway verifies identities. */
  readonly perCaller: boolean;
  /** The scope an earlier page of the same walk was given (carried in the cursor). */
  readonly earlierScope?: "public" | "private";
}

/**
 * The caching hint of one page of an aggregated list (the gateway's documented rule):
 * - `ttlMs`: the smallest `ttlMs` of the backend pages it was made from (a page without a valid
 *   one counts as 0, and so does a page made from no backend page), capped by `capMs`;
 * - `cacheScope`: `private` when the gateway verifies identities, when an earlier page of the
 *   same walk was private, or when any backend page is not explicitly `public` (the SDK's own
 *   default is private); `public` otherwise. So every page of one walk keeps one scope, unless a
 *   backend's later page turns private, where the safe answer wins.
 */
export function aggregateHint(
  pages: readonly BackendHint[],
  options: AggregateHintOptions,
): CacheHint {
  let ttlMs = pages.length === 0 ? 0 : options.capMs;
  let cacheScope: "public" | "private" =
    options.perCaller || options.earlierScope === "private" ? "private" : "public";
  for (const page of pages) {
    const ttl = page.ttlMs;
    ttlMs = Math.min(ttlMs, typeof ttl === "number" && Number.isInteger(ttl) && ttl >= 0 ? ttl : 0);
    if (page.cacheScope !== "public") cacheScope = "private";
  }
  return { ttlMs: Math.max(0, Math.min(ttlMs, options.capMs)), cacheScope };
}
