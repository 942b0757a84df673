import type { FetchFunction } from "@vmcp/session-core";
import { withEraClient } from "./era-client.js";
import type { BackendVerdict, VerdictTarget } from "./verdict-record.js";

/** Finds a backend's era: what {@link probeEra} does, replaceable in tests. */
export type EraProbe = (target: VerdictTarget, timeoutMs: number) => Promise<BackendVerdict>;

/**
 * Asks a backend which protocol era it speaks, with the SDK v2 client's own negotiation
 * (`versionNegotiation: { mode: "auto" }`): a `server/discover` probe, and the 2025 `initialize`
 * fallback when the answer is not a 2026-07-28 one. A legacy backend's session opened by the
 * fallback is terminated at once. Bounded by `timeoutMs` (ms). `fetch` is the transport's
 * (default: the global one).
 * @throws whatever the SDK throws for a backend that cannot be asked: unreachable, a 5xx, a
 *   401/403 (never a verdict), a timeout.
 */
export async function probeEra(
  target: VerdictTarget,
  timeoutMs: number,
  fetch?: FetchFunction,
): Promise<BackendVerdict> {
  return withEraClient(target, timeoutMs, "auto", fetch, async (client, transport) => {
    const discover = client.getDiscoverResult();
    const storedAt = Date.now();
    if (client.getProtocolEra() === "modern" && discover !== undefined) {
      return { kind: "modern", discover, storedAt };
    }
    await transport.terminateSession().catch(() => undefined);
    return { kind: "legacy", storedAt };
  });
}
