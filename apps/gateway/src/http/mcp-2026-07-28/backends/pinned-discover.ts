import { BackendConnectError, type FetchFunction } from "@vmcp/session-core";
import { withEraClient } from "./era-client.js";
import type { BackendVerdict, VerdictTarget } from "./verdict-record.js";

/** A backend pinned to 2026-07-28: its endpoint, headers and workload ID (named in refusals). */
export type PinnedTarget = VerdictTarget & { readonly workloadId: string };

/** The protocol revision a backend pinned to the modern era must offer. */
export const PinnedModernRevision = "2026-07-28";

/** Asks a backend pinned to 2026-07-28 for its `server/discover` answer: what {@link discoverPinned} does, replaceable in tests. */
export type PinnedDiscover = (
  target: PinnedTarget,
  timeoutMs: number,
) => Promise<Extract<BackendVerdict, { kind: "modern" }>>;

/**
 * Asks a backend configured with `era: "2026-07-28"` for its `server/discover` answer, with the
 * SDK v2 client's era pinned (`versionNegotiation: { mode: { pin: "2026-07-28" } }`): one
 * `server/discover`, never the 2025 `initialize` fallback, so nothing about its era is guessed.
 * Bounded by `timeoutMs` (ms). `fetch` is the transport's (default: the global one).
 * @throws whatever the SDK throws for a backend that cannot be asked (unreachable, a 5xx, a
 *   401/403, a timeout) or that does not offer 2026-07-28 (the SDK's typed pin error);
 *   `BackendConnectError` should a connect succeed without a `server/discover` answer.
 */
export async function discoverPinned(
  target: PinnedTarget,
  timeoutMs: number,
  fetch?: FetchFunction,
): Promise<Extract<BackendVerdict, { kind: "modern" }>> {
  return withEraClient(target, timeoutMs, { pin: PinnedModernRevision }, fetch, async (client) => {
    const discover = client.getDiscoverResult();
    if (discover === undefined) {
      throw new BackendConnectError(
        target.workloadId,
        `no server/discover answer from a backend pinned to ${PinnedModernRevision}`,
      );
    }
    return { kind: "modern", discover, storedAt: Date.now() };
  });
}
