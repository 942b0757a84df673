import type { BackendConnectFailure } from "@vmcp/session-core";
import { failureReason } from "./log-redaction.js";
import type { GatewayLogger } from "./logger.js";

/** Default least time between two connect-failure lines of one backend: 10,000 ms. */
export const DefaultBackendFailureLogIntervalMs = 10_000;

/**
 * A configured backend as far as its log line needs it (a `BackendConfig` is one): declared here
 * so that this module, whose default the config schema reads, does not import the config.
 */
export type BackendLocation = { readonly workloadId: string } & (
  | { readonly url: string }
  | { readonly command: string }
);

/** What a backend is, as its log line names it: the URL (no credentials, no query) or the command. */
export function describeBackend(backend: BackendLocation): { url: string } | { command: string } {
  if (!("url" in backend)) return { command: backend.command };
  const url = new URL(backend.url);
  return { url: `${url.protocol}//${url.host}${url.pathname}` };
}

/**
 * Logs backends that fail to connect while a session is made or restored: one `warn` line per
 * backend at most every `intervalMs` (ms; `0` logs every failure), naming its workload ID, its
 * URL or command, the phase (`initialize` or `restore`), the session and the cause; the failures
 * left out since that backend's previous line are counted in the next one (`suppressed`). So a
 * dead backend under a flood of clients writes one line per interval, not one per session.
 */
export class BackendFailureLog {
  readonly #log: GatewayLogger;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #backends = new Map<string, { url: string } | { command: string }>();
  /** Per workload ID: when its last line was written (ms, `now`'s clock) and what was left out since. */
  readonly #state = new Map<string, { loggedAt: number; suppressed: number }>();

  /**
   * @param intervalMs least time between two lines of one backend, ms.
   * @param now the clock, ms; default `performance.now`.
   */
  constructor(
    log: GatewayLogger,
    backends: readonly BackendLocation[],
    intervalMs: number,
    now: () => number = () => performance.now(),
  ) {
    this.#log = log;
    this.#intervalMs = intervalMs;
    this.#now = now;
    for (const backend of backends)
      this.#backends.set(backend.workloadId, describeBackend(backend));
  }

  /** Records one failed connect (the factory's `onConnectError`). */
  record(workloadId: string, error: unknown, failure: BackendConnectFailure): void {
    const now = this.#now();
    const state = this.#state.get(workloadId);
    if (state !== undefined && now - state.loggedAt < this.#intervalMs) {
      state.suppressed++;
      return;
    }
    const suppressed = state?.suppressed ?? 0;
    this.#state.set(workloadId, { loggedAt: now, suppressed: 0 });
    this.#log.warn(
      {
        workloadId,
        ...this.#backends.get(workloadId),
        phase: failure.phase,
        sessionId: failure.sessionId,
        reason: failureReason(error),
        ...(suppressed === 0 ? {} : { suppressed }),
      },
      "backend failed to connect",
    );
  }
}
