import { z } from "zod";

/** Default longest JSON-RPC batch accepted in one POST: 50 messages. */
export const DefaultMaxBatchLength = 50;
/** Default live sessions one caller (identity, or remote address when anonymous) may hold per replica: 32. */
export const DefaultMaxSessionsPerCaller = 32;
/** Default sustained `initialize` rate per caller and replica: 60 per minute. */
export const DefaultInitializePerMinute = 60;
/** Default burst of `initialize` requests per caller above the sustained rate: 20. */
export const DefaultInitializeBurst = 20;

/**
 * The `limits` section of the gateway configuration: bounded work per request, per session and
 * per caller. Every field has a default a public deployment can keep.
 */
export const LimitsConfigSchema = z.strictObject({
  /** Most messages in one JSON-RPC batch (400 above). */
  maxBatchLength: z.int().positive().default(DefaultMaxBatchLength),
  /** Backend requests one session may have in flight at once (per replica). */
  maxConcurrentBackendRequests: z.int().positive().default(16),
  /** Backend requests of one session waiting for a slot; beyond: a -32005 error per request. */
  maxQueuedBackendRequests: z.int().nonnegative().default(256),
  /** Least time between list refreshes that unknown names trigger in one session, ms. */
  listRefreshIntervalMs: z.int().nonnegative().default(1000),
  /** Live sessions per caller (identity, or remote address when anonymous) per replica (429 above). */
  maxSessionsPerCaller: z.int().positive().default(DefaultMaxSessionsPerCaller),
  /** Sustained `initialize` rate per caller per replica, per minute (429 above). */
  initializePerMinute: z.int().positive().default(DefaultInitializePerMinute),
  /** `initialize` requests a caller may send at once above the sustained rate. */
  initializeBurst: z.int().positive().default(DefaultInitializeBurst),
  /** Client info sent at `initialize` (as stored), bytes. */
  maxClientInfoBytes: z
    .int()
    .positive()
    .default(16 * 1024),
  /** Any one stored metadata value, bytes. */
  maxMetadataValueBytes: z
    .int()
    .positive()
    .default(16 * 1024),
  /** A new session's whole metadata, keys and values, bytes. */
  maxMetadataBytes: z
    .int()
    .positive()
    .default(64 * 1024),
});

/** The validated `limits` section. */
export type LimitsConfig = z.output<typeof LimitsConfigSchema>;

/** The flags (and env variables) of the `limits` section, with the field each sets. */
export const LimitFlags = {
  "max-batch-length": {
    env: "VMCP_MAX_BATCH_LENGTH",
    help: "most messages in one JSON-RPC batch (default 50)",
    field: "maxBatchLength",
  },
  "max-concurrent-backend-requests": {
    env: "VMCP_MAX_CONCURRENT_BACKEND_REQUESTS",
    help: "backend requests in flight per session (default 16)",
    field: "maxConcurrentBackendRequests",
  },
  "max-queued-backend-requests": {
    env: "VMCP_MAX_QUEUED_BACKEND_REQUESTS",
    help: "backend requests waiting per session (default 256)",
    field: "maxQueuedBackendRequests",
  },
  "list-refresh-interval-ms": {
    env: "VMCP_LIST_REFRESH_INTERVAL_MS",
    help: "least ms between refreshes an unknown name triggers (default 1000)",
    field: "listRefreshIntervalMs",
  },
  "max-sessions-per-caller": {
    env: "VMCP_MAX_SESSIONS_PER_CALLER",
    help: "live sessions per identity or anonymous address (default 32)",
    field: "maxSessionsPerCaller",
  },
  "initialize-per-minute": {
    env: "VMCP_INITIALIZE_PER_MINUTE",
    help: "sustained initialize rate per caller (default 60)",
    field: "initializePerMinute",
  },
  "initialize-burst": {
    env: "VMCP_INITIALIZE_BURST",
    help: "initialize burst per caller (default 20)",
    field: "initializeBurst",
  },
  "max-client-info-bytes": {
    env: "VMCP_MAX_CLIENT_INFO_BYTES",
    help: "client info bytes at initialize (default 16384)",
    field: "maxClientInfoBytes",
  },
  "max-metadata-value-bytes": {
    env: "VMCP_MAX_METADATA_VALUE_BYTES",
    help: "bytes of one stored metadata value (default 16384)",
    field: "maxMetadataValueBytes",
  },
  "max-metadata-bytes": {
    env: "VMCP_MAX_METADATA_BYTES",
    help: "bytes of a new session's metadata (default 65536)",
    field: "maxMetadataBytes",
  },
} as const;

/**
 * The raw `limits` fragment for the limit flags among `one`'s values; `undefined` when none is
 * given. Numbers that do not parse stay strings, so validation names the field.
 */
export function rawLimitsFromFlags(
  one: (flag: keyof typeof LimitFlags) => string | undefined,
): Record<string, unknown> | undefined {
  const raw: Record<string, unknown> = {};
  for (const [flag, { field }] of Object.entries(LimitFlags) as [
    keyof typeof LimitFlags,
    { field: string },
  ][]) {
    const value = one(flag);
    if (value !== undefined) raw[field] = /^-?\d+$/.test(value) ? Number(value) : value;
  }
  return Object.keys(raw).length === 0 ? undefined : raw;
}
