/**
 * What the 2026-07-28 path is built from, by shape: the gateway's `modern` config section and its
 * configured backends satisfy these. Declared here so that `http/` never imports `config/`,
 * which sits above it (the config reads the defaults of `http/`).
 */

/** The `modern` section of the gateway configuration (`config/modern-config.ts` documents each). */
export interface ModernSettings {
  /** Life of a backend's era verdict in the store, ms. */
  readonly verdictTtlMs: number;
  /** Least time between two probes of a backend that did not answer one, per replica, ms. */
  readonly probeRetryMs: number;
  /** `subscriptions/listen` streams open at once per replica. */
  readonly maxSubscriptions: number;
  /** Distinct resource URIs one replica's backend listens follow at once (streams' and 2025-era subscriptions'). */
  readonly maxResourceSubscriptions: number;
  /** Window over which a replica folds the same 2025-era backend change into one listen event, ms. */
  readonly changeCoalesceMs: number;
  /** Period of the keep-alive comments on a 2026-07-28 SSE response, ms; 0 sends none. */
  readonly keepAliveMs: number;
  /** Upper bound on the `ttlMs` caching hint of an aggregated list, ms. */
  readonly listTtlCapMs: number;
  /** Bound on one relayed backend call, ms, reset by its progress. */
  readonly callTimeoutMs: number;
  /** Longest life of a task's route in the store (tasks extension), ms. */
  readonly taskRouteTtlMs: number;
  /** Idle TTL of a pooled backend session's record, ms. */
  readonly pooledSessionTtlMs: number;
  /** Live pooled backend sessions per replica. */
  readonly maxPooledSessions: number;
  /** Live pooled backend sessions per identity and replica. */
  readonly maxPooledSessionsPerCaller: number;
  /** Calls parked for their client's input per replica. */
  readonly maxParkedCalls: number;
  /** Longest wait of a parked call for its client's retry, ms. */
  readonly parkTimeoutMs: number;
  /** Bound on the holder's acknowledgement of a retry's answers, ms. */
  readonly parkAckTimeoutMs: number;
  /** Period of the holder's heartbeats while a resumed call works, ms. */
  readonly parkHeartbeatMs: number;
  /** Heartbeats a retry may miss before the holder counts as gone. */
  readonly parkMissedHeartbeats: number;
  /** Time the backend requests that arrive together are gathered into one round, ms. */
  readonly parkBatchMs: number;
  /** Notifications a parked call keeps for its next retry. */
  readonly maxParkedNotifications: number;
}

/** A configured backend: Streamable HTTP (with its extra request headers) or a stdio command. */
export type ConfiguredBackend = { readonly workloadId: string } & (
  | {
      readonly url: string;
      readonly headers?: Readonly<Record<string, string>> | undefined;
      /** Its era pin (`auto`, `2025` or `2026-07-28`); default `auto` (probed). */
      readonly era?: "auto" | "2025" | "2026-07-28" | undefined;
    }
  | { readonly command: string }
);
