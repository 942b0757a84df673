import { z } from "zod";
import {
  DefaultAnswerAckTimeoutMs,
  DefaultMaxPendingServerRequests,
  DefaultServerRequestTimeoutMs,
} from "../http/mcp-2025-11-25/relay/server-requests.js";
import { DefaultHeartbeatMs } from "../http/mcp-2025-11-25/relay/standalone-stream.js";
import { DefaultMaxStreamBufferBytes } from "../http/responses/sse-writer.js";
import { DefaultMaxInputRounds } from "../http/stateless-backends/input-rounds.js";

/** Default longest JSON-RPC batch accepted in one POST: 50 messages. */
export const DefaultMaxBatchLength = 50;
/** Default live sessions one caller (identity, or remote address when anonymous) may hold per replica: 32. */
export const DefaultMaxSessionsPerCaller = 32;
/** Default sustained `initialize` rate per caller and replica: 60 per minute. */
export const DefaultInitializePerMinute = 60;
/** Default burst of `initialize` requests per caller above the sustained rate: 20. */
export const DefaultInitializeBurst = 20;
/**
 * Default MCP 2026-07-28 requests one caller may have in flight per replica: 64 (`subscriptions/
 * listen` streams included), twice the default `maxSessionsPerCaller`, so a client that holds a
 * few listen streams and runs parallel calls never meets it.
 */
export const DefaultMaxModernRequestsPerCaller = 64;

/**
 * The settings of `limits.loopbackCallers`: whether anonymous callers from a loopback address
 * (127.0.0.0/8, `::1`, `::ffff:127.x.x.x`) are exempt from the per-caller limits
 * (`maxSessionsPerCaller`, `initializePerMinute`, `initializeBurst`,
 * `maxModernRequestsPerCaller`):
 * - `auto`: exempt when the gateway listens on a loopback address (every caller is then on this
 *   machine, and one shared per-address bucket would only refuse their legitimate work), limited
 *   otherwise (a reverse proxy on this host forwarding to a public bind keeps its limits);
 * - `exempt`: exempt whatever the bind;
 * - `limited`: never exempt.
 * Callers with a verified identity are limited per identity whatever this says.
 */
export const LoopbackCallersSettings = ["auto", "exempt", "limited"] as const;

/** Default of `limits.loopbackCallers`: `auto`. */
export const DefaultLoopbackCallers = "auto";

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
  /**
   * MCP 2026-07-28 requests per caller in flight at once per replica, open `subscriptions/listen`
   * streams included (429 above). Sessionless requests have no `initialize` to rate.
   */
  maxModernRequestsPerCaller: z.int().positive().default(DefaultMaxModernRequestsPerCaller),
  /** Whether anonymous loopback callers are exempt from the per-caller limits (see {@link LoopbackCallersSettings}). */
  loopbackCallers: z.enum(LoopbackCallersSettings).default(DefaultLoopbackCallers),
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
  /** Longest a backend's server-to-client request (sampling, elicitation, roots) waits for the client's answer, ms. */
  serverRequestTimeoutMs: z.int().positive().default(DefaultServerRequestTimeoutMs),
  /** Longest a client's answer POSTed to a replica that does not hold its request waits for the holder to claim it over the bus, ms. */
  answerAckTimeoutMs: z.int().positive().default(DefaultAnswerAckTimeoutMs),
  /** Server-to-client requests of one session waiting for the client's answers at once (per replica). */
  maxPendingServerRequests: z.int().positive().default(DefaultMaxPendingServerRequests),
  /**
   * `input_required` rounds one call of a 2025-era session to a 2026-07-28 backend may take (each
   * round's input requests answered by the client, then the backend retried); beyond, the call
   * fails (-32005 `VMCP_INPUT_ROUNDS_EXCEEDED`).
   */
  maxInputRounds: z.int().positive().default(DefaultMaxInputRounds),
  /** Period of the heartbeat comments on a `GET /mcp` stream, ms. */
  streamHeartbeatMs: z.int().positive().default(DefaultHeartbeatMs),
  /** Bytes one SSE stream (a streamed POST or a GET stream) may hold unsent for a slow reader before it is closed. */
  maxStreamBufferBytes: z.int().positive().default(DefaultMaxStreamBufferBytes),
});

/** The validated `limits` section. */
export type LimitsConfig = z.output<typeof LimitsConfigSchema>;
