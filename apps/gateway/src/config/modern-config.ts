import { z } from "zod";
import { DefaultChangeCoalesceMs } from "../http/mcp-2026-07-28/listen/coalesced-changes.js";
import {
  DefaultParkAckTimeoutMs,
  DefaultParkHeartbeatMs,
  DefaultParkMissedHeartbeats,
} from "../http/mcp-2026-07-28/parked/parked-call-router.js";
import {
  DefaultMaxParkedCalls,
  DefaultMaxParkedNotifications,
  DefaultParkBatchMs,
  DefaultParkTimeoutMs,
} from "../http/mcp-2026-07-28/parked/parked-calls.js";
import { DefaultRequestStateTtlMs } from "../http/mcp-2026-07-28/request-state/request-state-codec.js";

/** Default life of a backend's era verdict in the store: 5 minutes, in ms. */
export const DefaultVerdictTtlMs = 5 * 60_000;
/** Default least time between two era probes of a backend that failed to answer one, per replica: 5,000 ms. */
export const DefaultProbeRetryMs = 5_000;
/** Default bound on `subscriptions/listen` streams open at once per replica: 1024 (the SDK's). */
export const DefaultMaxSubscriptions = 1024;
/** Default bound on the distinct resource URIs the backend listens of one replica follow: 1024. */
export const DefaultMaxResourceSubscriptions = 1024;
/** Default period of the keep-alive comments on a 2026-07-28 SSE response, ms: 15,000 (the SDK's). */
export const DefaultKeepAliveMs = 15_000;
/** Default upper bound on the `ttlMs` the gateway gives an aggregated list: 60,000 ms. */
export const DefaultListTtlCapMs = 60_000;
/** Default bound on one relayed call to a backend, ms: 60,000 (reset by each progress notification). */
export const DefaultCallTimeoutMs = 60_000;
/** Default longest life of a task's route in the store (tasks extension): 24 hours, in ms. */
export const DefaultTaskRouteTtlMs = 24 * 60 * 60_000;
/** Default idle TTL of a pooled backend session's record: 30 minutes, in ms. */
export const DefaultPooledSessionTtlMs = 30 * 60_000;
/** Default bound on live pooled backend sessions per replica: 256. */
export const DefaultMaxPooledSessions = 256;
/** Default bound on live pooled backend sessions per identity and replica: 4. */
export const DefaultMaxPooledSessionsPerCaller = 4;

/**
 * The `modern` section of the gateway configuration: how the gateway serves MCP 2026-07-28
 * (sessionless) clients and talks to 2026-07-28 backends. Every field has a default a public
 * deployment can keep.
 */
export const ModernConfigSchema = z.strictObject({
  /**
   * How long a backend's era verdict (its `server/discover` result, or "legacy") lives in the
   * store, ms; then the next request probes the backend again. A call that fails with a
   * transport or era error probes it again at once.
   */
  verdictTtlMs: z.int().min(1_000).default(DefaultVerdictTtlMs),
  /** Least time between two probes of a backend that did not answer one, per replica, ms. */
  probeRetryMs: z.int().min(0).default(DefaultProbeRetryMs),
  /** `subscriptions/listen` streams open at once per replica; a new one beyond is refused (-32603). */
  maxSubscriptions: z.int().positive().default(DefaultMaxSubscriptions),
  /**
   * Distinct resource URIs the backend listens of one replica follow at once (the union the
   * replica asks each backend for: its listen streams' URIs and its 2025-era sessions'
   * subscriptions to modern backends); a listen stream whose new URIs would pass it is refused
   * (-32603), a 2025-era `resources/subscribe` too (-32005 `VMCP_TOO_MANY_RESOURCE_SUBSCRIPTIONS`).
   */
  maxResourceSubscriptions: z.int().positive().default(DefaultMaxResourceSubscriptions),
  /**
   * Window over which one replica gathers the same change seen on 2025-era backends (a
   * `list_changed` on the pooled backend sessions it holds) before publishing it once to every
   * replica's listen streams, ms; `0` publishes each at once.
   */
  changeCoalesceMs: z.int().min(0).max(60_000).default(DefaultChangeCoalesceMs),
  /** Period of the keep-alive comments on a 2026-07-28 SSE response, ms; `0` sends none. */
  keepAliveMs: z.int().min(0).default(DefaultKeepAliveMs),
  /** Upper bound on the `ttlMs` caching hint of an aggregated list, ms; `0` says "do not cache". */
  listTtlCapMs: z.int().min(0).default(DefaultListTtlCapMs),
  /** Bound on one relayed backend call, ms, reset by each progress notification the backend sends. */
  callTimeoutMs: z.int().min(100).default(DefaultCallTimeoutMs),
  /**
   * Longest life of a task's route in the store (tasks extension), ms: a task is routed for its
   * own `ttlMs`, at most this long, and this long when it has none (unlimited).
   */
  taskRouteTtlMs: z.int().min(1_000).default(DefaultTaskRouteTtlMs),
  /**
   * Idle TTL of a pooled backend session (the backend sessions a 2026-07-28 caller uses to reach
   * 2025-era and stdio backends), ms: its record expires this long after the last request that
   * used it.
   */
  pooledSessionTtlMs: z.int().min(1_000).default(DefaultPooledSessionTtlMs),
  /**
   * Live pooled backend sessions one replica holds (each with its backend connections and one
   * process per stdio backend); the least recently used is evicted beyond (its record stays, and
   * a later request restores it).
   */
  maxPooledSessions: z.int().positive().default(DefaultMaxPooledSessions),
  /**
   * Live pooled backend sessions one identity holds on one replica (one per set of client
   * capabilities it declares); its least recently used is evicted beyond.
   */
  maxPooledSessionsPerCaller: z.int().positive().default(DefaultMaxPooledSessionsPerCaller),
  /**
   * Calls one replica holds parked for their 2026-07-28 client's input (a 2025-era backend's
   * sampling, elicitation or roots request mid-call); a backend request that would park one more
   * is refused (its JSON-RPC error -32005).
   */
  maxParkedCalls: z.int().positive().default(DefaultMaxParkedCalls),
  /**
   * Longest wait of a parked call for its client's retry, ms, at most the `requestState`
   * lifetime (10 minutes); then the backend request is cancelled and a later retry gets -32004.
   */
  parkTimeoutMs: z.int().min(100).max(DefaultRequestStateTtlMs).default(DefaultParkTimeoutMs),
  /** Bound on the holding replica's acknowledgement of a retry's answers, ms; then -32004. */
  parkAckTimeoutMs: z.int().min(10).default(DefaultParkAckTimeoutMs),
  /** Period of the holding replica's heartbeats while a resumed call works, ms. */
  parkHeartbeatMs: z.int().min(10).default(DefaultParkHeartbeatMs),
  /** Heartbeats a retry may miss before the holding replica counts as gone (-32004). */
  parkMissedHeartbeats: z.int().positive().default(DefaultParkMissedHeartbeats),
  /** Time the backend requests that arrive together are gathered into one round, ms. */
  parkBatchMs: z.int().min(0).default(DefaultParkBatchMs),
  /** Notifications a parked call keeps for its client's next retry; more are dropped (counted). */
  maxParkedNotifications: z.int().min(0).default(DefaultMaxParkedNotifications),
});

/** The validated `modern` section. */
export type ModernConfig = z.output<typeof ModernConfigSchema>;
