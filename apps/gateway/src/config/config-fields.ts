/**
 * The one table of the gateway's settable fields. Each row names a field of the config file
 * (its dotted path), the `serve` flag and the `VMCP_*` environment variable that set it, how the
 * text of a flag or variable becomes the field's value, and the help line; the default shown
 * beside it is derived from the config schema (see `shown-defaults.ts`), never written here.
 * Flag parsing, environment reading, `--help` and the hints of configuration errors all read it;
 * the README's configuration tables are checked against it by a test.
 *
 * Why over 400 lines: it is one table, a row per settable field (57 of them); split, it would no
 * longer be the one place a field is declared.
 */
import { GatewayConfigSchema } from "./gateway-config.js";
import { shownDefault } from "./shown-defaults.js";

/**
 * How the text of a flag or environment variable becomes a config value:
 * - `string`: as given; `integer`: a whole number (anything else is refused naming the flag or
 *   variable); `boolean`: `true` or `false`; `file`: the path of the JSON config file;
 * - `backend`: `ID=URL`, `ID=URL#era=ERA` (`auto`, `2025` or `2026-07-28`) or
 *   `ID=stdio:COMMAND ARG...`, repeatable (env: comma-separated);
 * - `static-token`: `TOKEN=SUBJECT` with issuer `static`, repeatable (env: comma-separated);
 * - `redis-sentinel`: `MASTER@host:port,host:port`; `redis-cluster`: `host:port,host:port`;
 * - `redis-durability`: `REPLICAS[:TIMEOUT_MS]`.
 */
export type ConfigValueKind =
  | "string"
  | "integer"
  | "boolean"
  | "file"
  | "backend"
  | "static-token"
  | "redis-sentinel"
  | "redis-cluster"
  | "redis-durability";

/** One row of {@link ConfigFields}. */
export interface ConfigField extends ConfigFieldRow {
  /**
   * The default as `--help` and the README show it, derived from the config schema (its
   * `.default()`, or the default a module applies); absent when there is none.
   */
  readonly defaultShown?: string;
}

/** One row as written in the table below (the shown default is derived, see {@link ConfigField}). */
interface ConfigFieldRow {
  /** Dotted path in the config file's shape (e.g. `store.url`); absent for `--config` itself. */
  readonly path?: string;
  /** The flag's name without `--`. */
  readonly flag: string;
  /** The environment variable. */
  readonly env: string;
  /** How a flag's or variable's text becomes the value. */
  readonly kind: ConfigValueKind;
  /** What the value means, with its unit (ms, bytes); one line of `--help`. */
  readonly help: string;
  /** Placeholder of the value in `--help`, e.g. `N`; default by kind. */
  readonly metavar?: string;
  /** A field given by flag or env also sets this `kind` when no `kind` is given (e.g. `--redis-url` implies `store.kind` `redis`). */
  readonly implies?: { readonly path: string; readonly value: string };
}

const redis = { path: "store.kind", value: "redis" } as const;
const jwt = { path: "identity.kind", value: "jwt" } as const;

/** The rows of {@link ConfigFields}, as written. */
const Rows = [
  { flag: "config", env: "VMCP_CONFIG", kind: "file", help: "the JSON config file" },
  {
    path: "host",
    flag: "host",
    env: "VMCP_HOST",
    kind: "string",
    help: "interface to listen on",
  },
  {
    path: "port",
    flag: "port",
    env: "VMCP_PORT",
    kind: "integer",
    help: "HTTP port; 0 picks a free one",
  },
  {
    path: "sessionTtlMs",
    flag: "session-ttl-ms",
    env: "VMCP_SESSION_TTL_MS",
    kind: "integer",
    help: "session TTL, ms, slid by the owner's requests; at least 1000",
  },
  {
    path: "maxBodyBytes",
    flag: "max-body-bytes",
    env: "VMCP_MAX_BODY_BYTES",
    kind: "integer",
    help: "request body limit, bytes (413 above); at least 1024",
  },
  {
    path: "connectTimeoutMs",
    flag: "connect-timeout-ms",
    env: "VMCP_CONNECT_TIMEOUT_MS",
    kind: "integer",
    help: "bound on connecting one backend, ms",
  },
  {
    path: "shutdownTimeoutMs",
    flag: "shutdown-timeout-ms",
    env: "VMCP_SHUTDOWN_TIMEOUT_MS",
    kind: "integer",
    help: "how long shutdown waits for requests in flight, ms",
  },
  {
    path: "maxLiveSessions",
    flag: "max-live-sessions",
    env: "VMCP_MAX_LIVE_SESSIONS",
    kind: "integer",
    help: "live sessions kept per replica",
  },
  {
    path: "headersTimeoutMs",
    flag: "headers-timeout-ms",
    env: "VMCP_HEADERS_TIMEOUT_MS",
    kind: "integer",
    help: "bound on receiving request headers, ms (then 408); at least 100",
  },
  {
    path: "bodyTimeoutMs",
    flag: "body-timeout-ms",
    env: "VMCP_BODY_TIMEOUT_MS",
    kind: "integer",
    help: "bound on receiving a request body, ms (then 408); at least 100",
  },
  {
    path: "maxHeaderBytes",
    flag: "max-header-bytes",
    env: "VMCP_MAX_HEADER_BYTES",
    kind: "integer",
    help: "request headers limit, bytes (then 431); 1024 to 1048576",
  },
  {
    path: "maxTokenBytes",
    flag: "max-token-bytes",
    env: "VMCP_MAX_TOKEN_BYTES",
    kind: "integer",
    help: "bearer token limit, bytes (then 431); at least 64",
  },
  {
    path: "maxJsonDepth",
    flag: "max-json-depth",
    env: "VMCP_MAX_JSON_DEPTH",
    kind: "integer",
    help: "nesting limit of a JSON body (then 400); 2 to 1000",
  },
  {
    path: "logLevel",
    flag: "log-level",
    env: "VMCP_LOG_LEVEL",
    kind: "string",
    help: "fatal, error, warn, info, debug, trace or silent",
    metavar: "LEVEL",
  },
  {
    path: "logMaxValueChars",
    flag: "log-max-value-chars",
    env: "VMCP_LOG_MAX_VALUE_CHARS",
    kind: "integer",
    help: "log string values are cut at this length, characters; at least 64",
  },
  {
    path: "backendFailureLogIntervalMs",
    flag: "backend-failure-log-interval-ms",
    env: "VMCP_BACKEND_FAILURE_LOG_INTERVAL_MS",
    kind: "integer",
    help: "least time between two 'backend failed to connect' lines of one backend, ms; 0 logs each",
  },
  {
    path: "tracing",
    flag: "tracing",
    env: "VMCP_TRACING",
    kind: "boolean",
    help: "register the OpenTelemetry Node SDK for traces, configured by the OTEL_* variables",
  },
  {
    path: "metrics",
    flag: "metrics",
    env: "VMCP_METRICS",
    kind: "boolean",
    help: "serve GET /metrics (Prometheus text of the OpenTelemetry instruments)",
  },
  {
    path: "bindingSecret",
    flag: "binding-secret",
    env: "VMCP_BINDING_SECRET",
    kind: "string",
    help: "HMAC key of the identity binding, 16+ characters, the same on every replica",
    metavar: "SECRET",
  },
  {
    path: "backends",
    flag: "backend",
    env: "VMCP_BACKENDS",
    kind: "backend",
    help: "a backend MCP server; #era= pins an HTTP one's era: auto (probed), 2025 or 2026-07-28",
    metavar: "ID=URL[#era=ERA]|ID=stdio:COMMAND",
  },
  {
    path: "idleTimeoutMs",
    flag: "idle-timeout-ms",
    env: "VMCP_IDLE_TIMEOUT_MS",
    kind: "integer",
    help: "idle live sessions close their backend connections after this, ms; 0 never",
  },
  {
    path: "backendRetryInitialDelayMs",
    flag: "backend-retry-initial-delay-ms",
    env: "VMCP_BACKEND_RETRY_INITIAL_DELAY_MS",
    kind: "integer",
    help: "first pause before retrying a backend missing after a restore, ms",
  },
  {
    path: "backendRetryMaxDelayMs",
    flag: "backend-retry-max-delay-ms",
    env: "VMCP_BACKEND_RETRY_MAX_DELAY_MS",
    kind: "integer",
    help: "cap of that doubling pause, ms",
  },
  {
    path: "backendRetryWaitMs",
    flag: "backend-retry-wait-ms",
    env: "VMCP_BACKEND_RETRY_WAIT_MS",
    kind: "integer",
    help: "how long a request waits for a retry it started, ms",
  },
  {
    path: "stdioStopGraceMs",
    flag: "stdio-stop-grace-ms",
    env: "VMCP_STDIO_STOP_GRACE_MS",
    kind: "integer",
    help: "SIGTERM to SIGKILL grace of stdio backends still running at shutdown, ms",
  },
  {
    path: "store.kind",
    flag: "store",
    env: "VMCP_STORE",
    kind: "string",
    help: "memory or redis (a Redis flag alone implies redis)",
    metavar: "KIND",
  },
  {
    path: "store.url",
    flag: "redis-url",
    env: "VMCP_REDIS_URL",
    kind: "string",
    help: "standalone Redis URL, redis:// or rediss://",
    metavar: "URL",
    implies: redis,
  },
  {
    path: "store.sentinel",
    flag: "redis-sentinel",
    env: "VMCP_REDIS_SENTINEL",
    kind: "redis-sentinel",
    help: "Redis Sentinel: the master's name and the sentinels",
    implies: redis,
  },
  {
    path: "store.cluster",
    flag: "redis-cluster",
    env: "VMCP_REDIS_CLUSTER",
    kind: "redis-cluster",
    help: "Redis Cluster seed nodes",
    implies: redis,
  },
  {
    path: "store.keyPrefix",
    flag: "redis-key-prefix",
    env: "VMCP_REDIS_KEY_PREFIX",
    kind: "string",
    help: "prefix of the Redis keys",
    metavar: "PREFIX",
    implies: redis,
  },
  {
    path: "store.durability",
    flag: "redis-durability",
    env: "VMCP_REDIS_DURABILITY",
    kind: "redis-durability",
    help: "each session write waits for REPLICAS replicas (Redis WAIT, at most TIMEOUT_MS, default 750 ms); default off",
    implies: redis,
  },
  {
    path: "identity.kind",
    flag: "identity",
    env: "VMCP_IDENTITY",
    kind: "string",
    help: "none, static or jwt",
    metavar: "KIND",
  },
  {
    path: "identity.tokens",
    flag: "static-token",
    env: "VMCP_STATIC_TOKENS",
    kind: "static-token",
    help: "a static bearer token and its subject, issuer static",
    implies: { path: "identity.kind", value: "static" },
  },
  {
    path: "identity.secret",
    flag: "jwt-secret",
    env: "VMCP_JWT_SECRET",
    kind: "string",
    help: "HMAC secret of the JWT identity, 32+ characters",
    metavar: "SECRET",
    implies: jwt,
  },
  {
    path: "identity.jwksFile",
    flag: "jwt-jwks-file",
    env: "VMCP_JWT_JWKS_FILE",
    kind: "string",
    help: "JWKS file of the JWT identity",
    metavar: "PATH",
    implies: jwt,
  },
  {
    path: "identity.jwksUrl",
    flag: "jwt-jwks-url",
    env: "VMCP_JWT_JWKS_URL",
    kind: "string",
    help: "JWKS URL of the JWT identity, http:// or https://",
    metavar: "URL",
    implies: jwt,
  },
  {
    path: "identity.jwksRefreshMs",
    flag: "jwt-jwks-refresh-ms",
    env: "VMCP_JWT_JWKS_REFRESH_MS",
    kind: "integer",
    help: "a removed JWKS key is refused within this bound, ms; at least 100",
    implies: jwt,
  },
  {
    path: "identity.requireExp",
    flag: "jwt-require-exp",
    env: "VMCP_JWT_REQUIRE_EXP",
    kind: "boolean",
    help: "refuse JWTs without exp",
    implies: jwt,
  },
  {
    path: "identity.issuer",
    flag: "jwt-issuer",
    env: "VMCP_JWT_ISSUER",
    kind: "string",
    help: "required JWT issuer",
    metavar: "ISSUER",
    implies: jwt,
  },
  {
    path: "identity.audience",
    flag: "jwt-audience",
    env: "VMCP_JWT_AUDIENCE",
    kind: "string",
    help: "required JWT audience",
    metavar: "AUDIENCE",
    implies: jwt,
  },
  {
    path: "limits.maxBatchLength",
    flag: "max-batch-length",
    env: "VMCP_MAX_BATCH_LENGTH",
    kind: "integer",
    help: "most messages in one JSON-RPC batch",
  },
  {
    path: "limits.maxConcurrentBackendRequests",
    flag: "max-concurrent-backend-requests",
    env: "VMCP_MAX_CONCURRENT_BACKEND_REQUESTS",
    kind: "integer",
    help: "backend requests in flight per session",
  },
  {
    path: "limits.maxQueuedBackendRequests",
    flag: "max-queued-backend-requests",
    env: "VMCP_MAX_QUEUED_BACKEND_REQUESTS",
    kind: "integer",
    help: "backend requests waiting per session",
  },
  {
    path: "limits.listRefreshIntervalMs",
    flag: "list-refresh-interval-ms",
    env: "VMCP_LIST_REFRESH_INTERVAL_MS",
    kind: "integer",
    help: "least time between list refreshes an unknown name triggers, ms",
  },
  {
    path: "limits.serverRequestTimeoutMs",
    flag: "server-request-timeout-ms",
    env: "VMCP_SERVER_REQUEST_TIMEOUT_MS",
    kind: "integer",
    help: "how long a backend's server-to-client request waits for the client's answer, ms",
  },
  {
    path: "limits.answerAckTimeoutMs",
    flag: "answer-ack-timeout-ms",
    env: "VMCP_ANSWER_ACK_TIMEOUT_MS",
    kind: "integer",
    help: "how long a client's answer waits for the replica holding its request to claim it, ms",
  },
  {
    path: "limits.maxPendingServerRequests",
    flag: "max-pending-server-requests",
    env: "VMCP_MAX_PENDING_SERVER_REQUESTS",
    kind: "integer",
    help: "server-to-client requests of one session waiting for answers",
  },
  {
    path: "limits.maxInputRounds",
    flag: "max-input-rounds",
    env: "VMCP_MAX_INPUT_ROUNDS",
    kind: "integer",
    help: "input_required rounds of one 2025-era session's call to a 2026-07-28 backend",
  },
  {
    path: "limits.streamHeartbeatMs",
    flag: "stream-heartbeat-ms",
    env: "VMCP_STREAM_HEARTBEAT_MS",
    kind: "integer",
    help: "period of the heartbeat comments on a GET /mcp stream, ms",
  },
  {
    path: "limits.maxStreamBufferBytes",
    flag: "max-stream-buffer-bytes",
    env: "VMCP_MAX_STREAM_BUFFER_BYTES",
    kind: "integer",
    help: "bytes an SSE stream may hold unsent before it is closed",
  },
  {
    path: "limits.maxSessionsPerCaller",
    flag: "max-sessions-per-caller",
    env: "VMCP_MAX_SESSIONS_PER_CALLER",
    kind: "integer",
    help: "live sessions per identity or anonymous address",
  },
  {
    path: "limits.initializePerMinute",
    flag: "initialize-per-minute",
    env: "VMCP_INITIALIZE_PER_MINUTE",
    kind: "integer",
    help: "sustained initialize rate per caller, per minute",
  },
  {
    path: "limits.initializeBurst",
    flag: "initialize-burst",
    env: "VMCP_INITIALIZE_BURST",
    kind: "integer",
    help: "initialize burst per caller",
  },
  {
    path: "limits.maxModernRequestsPerCaller",
    flag: "max-modern-requests-per-caller",
    env: "VMCP_MAX_MODERN_REQUESTS_PER_CALLER",
    kind: "integer",
    help: "MCP 2026-07-28 requests in flight per identity or anonymous address, listen streams included",
  },
  {
    path: "limits.loopbackCallers",
    flag: "loopback-callers",
    env: "VMCP_LOOPBACK_CALLERS",
    kind: "string",
    help: "anonymous callers from 127.0.0.0/8 or ::1 skip the per-caller limits: auto (when listening on loopback), exempt or limited",
    metavar: "auto|exempt|limited",
  },
  {
    path: "limits.maxClientInfoBytes",
    flag: "max-client-info-bytes",
    env: "VMCP_MAX_CLIENT_INFO_BYTES",
    kind: "integer",
    help: "client info sent at initialize, bytes",
  },
  {
    path: "limits.maxMetadataValueBytes",
    flag: "max-metadata-value-bytes",
    env: "VMCP_MAX_METADATA_VALUE_BYTES",
    kind: "integer",
    help: "one stored metadata value, bytes",
  },
  {
    path: "limits.maxMetadataBytes",
    flag: "max-metadata-bytes",
    env: "VMCP_MAX_METADATA_BYTES",
    kind: "integer",
    help: "a new session's whole metadata, bytes",
  },
  {
    path: "modern.verdictTtlMs",
    flag: "modern-verdict-ttl-ms",
    env: "VMCP_MODERN_VERDICT_TTL_MS",
    kind: "integer",
    help: "life of a backend's era verdict in the store, ms; at least 1000",
  },
  {
    path: "modern.probeRetryMs",
    flag: "modern-probe-retry-ms",
    env: "VMCP_MODERN_PROBE_RETRY_MS",
    kind: "integer",
    help: "least time between two era probes of a backend that did not answer, ms",
  },
  {
    path: "modern.maxSubscriptions",
    flag: "modern-max-subscriptions",
    env: "VMCP_MODERN_MAX_SUBSCRIPTIONS",
    kind: "integer",
    help: "subscriptions/listen streams open at once per replica",
  },
  {
    path: "modern.maxResourceSubscriptions",
    flag: "modern-max-resource-subscriptions",
    env: "VMCP_MODERN_MAX_RESOURCE_SUBSCRIPTIONS",
    kind: "integer",
    help: "distinct resource URIs one replica's backend listens follow at once (listen streams' and 2025-era subscriptions')",
  },
  {
    path: "modern.changeCoalesceMs",
    flag: "modern-change-coalesce-ms",
    env: "VMCP_MODERN_CHANGE_COALESCE_MS",
    kind: "integer",
    help: "window over which a replica folds the same 2025-era backend change into one listen event, ms; 0 folds none",
  },
  {
    path: "modern.keepAliveMs",
    flag: "modern-keep-alive-ms",
    env: "VMCP_MODERN_KEEP_ALIVE_MS",
    kind: "integer",
    help: "period of keep-alive comments on a 2026-07-28 SSE response, ms; 0 sends none",
  },
  {
    path: "modern.listTtlCapMs",
    flag: "modern-list-ttl-cap-ms",
    env: "VMCP_MODERN_LIST_TTL_CAP_MS",
    kind: "integer",
    help: "upper bound on the ttlMs caching hint of an aggregated list, ms",
  },
  {
    path: "modern.callTimeoutMs",
    flag: "modern-call-timeout-ms",
    env: "VMCP_MODERN_CALL_TIMEOUT_MS",
    kind: "integer",
    help: "bound on one relayed backend call, ms, reset by its progress; at least 100",
  },
  {
    path: "modern.taskRouteTtlMs",
    flag: "modern-task-route-ttl-ms",
    env: "VMCP_MODERN_TASK_ROUTE_TTL_MS",
    kind: "integer",
    help: "longest life of a task's route in the store, ms; at least 1000",
  },
  {
    path: "modern.pooledSessionTtlMs",
    flag: "modern-pooled-session-ttl-ms",
    env: "VMCP_MODERN_POOLED_SESSION_TTL_MS",
    kind: "integer",
    help: "idle TTL of a pooled backend session (a 2026-07-28 caller's way to 2025-era and stdio backends), ms; at least 1000",
  },
  {
    path: "modern.maxPooledSessions",
    flag: "modern-max-pooled-sessions",
    env: "VMCP_MODERN_MAX_POOLED_SESSIONS",
    kind: "integer",
    help: "live pooled backend sessions per replica; the least recently used are evicted",
  },
  {
    path: "modern.maxPooledSessionsPerCaller",
    flag: "modern-max-pooled-sessions-per-caller",
    env: "VMCP_MODERN_MAX_POOLED_SESSIONS_PER_CALLER",
    kind: "integer",
    help: "live pooled backend sessions per identity and replica; its least recently used is evicted",
  },
  {
    path: "modern.maxParkedCalls",
    flag: "modern-max-parked-calls",
    env: "VMCP_MODERN_MAX_PARKED_CALLS",
    kind: "integer",
    help: "calls parked for a 2026-07-28 client's input (a 2025-era backend's mid-call request) per replica",
  },
  {
    path: "modern.parkTimeoutMs",
    flag: "modern-park-timeout-ms",
    env: "VMCP_MODERN_PARK_TIMEOUT_MS",
    kind: "integer",
    help: "longest wait of a parked call for its client's retry, ms; then the backend request is cancelled",
  },
  {
    path: "modern.parkAckTimeoutMs",
    flag: "modern-park-ack-timeout-ms",
    env: "VMCP_MODERN_PARK_ACK_TIMEOUT_MS",
    kind: "integer",
    help: "bound on the holding replica's acknowledgement of a retry's answers, ms",
  },
  {
    path: "modern.parkHeartbeatMs",
    flag: "modern-park-heartbeat-ms",
    env: "VMCP_MODERN_PARK_HEARTBEAT_MS",
    kind: "integer",
    help: "period of the holding replica's heartbeats while a resumed call works, ms",
  },
  {
    path: "modern.parkMissedHeartbeats",
    flag: "modern-park-missed-heartbeats",
    env: "VMCP_MODERN_PARK_MISSED_HEARTBEATS",
    kind: "integer",
    help: "heartbeats a retry may miss before the holding replica counts as gone",
  },
  {
    path: "modern.parkBatchMs",
    flag: "modern-park-batch-ms",
    env: "VMCP_MODERN_PARK_BATCH_MS",
    kind: "integer",
    help: "time a 2025-era backend's mid-call requests that arrive together are gathered into one round, ms",
  },
  {
    path: "modern.maxParkedNotifications",
    flag: "modern-max-parked-notifications",
    env: "VMCP_MODERN_MAX_PARKED_NOTIFICATIONS",
    kind: "integer",
    help: "notifications a parked call keeps for its client's next retry; more are dropped",
  },
] as const satisfies readonly ConfigFieldRow[];

/** The name of a configuration flag (without `--`). */
export type ConfigFlagName = (typeof Rows)[number]["flag"];

/**
 * Every field settable by flag and environment variable, in `--help` order, each with the
 * default the config schema gives it. Fields of the config file not listed here (e.g.
 * `store.maxSessions`, `backends[].headers`) are set in the file only.
 */
export const ConfigFields: readonly ConfigField[] = Rows.map((row: ConfigFieldRow) => {
  const shown = row.path === undefined ? undefined : shownDefault(GatewayConfigSchema, row.path);
  return shown === undefined ? row : { ...row, defaultShown: shown };
});

/** Whether a field's flag may be given more than once (and its env variable holds a comma-separated list). */
export function isRepeatable(field: ConfigField): boolean {
  return field.kind === "backend" || field.kind === "static-token";
}

const defaultMetavars: Record<ConfigValueKind, string> = {
  string: "VALUE",
  integer: "N",
  boolean: "true|false",
  file: "PATH",
  backend: "ID=URL",
  "static-token": "TOKEN=SUBJECT",
  "redis-sentinel": "MASTER@HOST:PORT,...",
  "redis-cluster": "HOST:PORT,...",
  "redis-durability": "REPLICAS[:TIMEOUT_MS]",
};

/** The placeholder of a field's value in `--help`, e.g. `N` or `TOKEN=SUBJECT`. */
export function metavarOf(field: ConfigField): string {
  return field.metavar ?? defaultMetavars[field.kind];
}

/** The row of a flag name (without `--`), or `undefined`. */
export function fieldOfFlag(flag: string): ConfigField | undefined {
  return ConfigFields.find((f) => f.flag === flag);
}

/**
 * The row that sets the config path `field` (e.g. `store.url`), or the one whose path is the
 * longest prefix of it (so `backends.1.url` finds `--backend`); `undefined` for file-only fields.
 */
export function fieldOfPath(field: string): ConfigField | undefined {
  let best: ConfigField | undefined;
  for (const row of ConfigFields) {
    const path = row.path;
    if (path === undefined || (field !== path && !field.startsWith(`${path}.`))) continue;
    if (best?.path === undefined || path.length > best.path.length) best = row;
  }
  return best;
}

/**
 * The hint appended to a configuration error about `field`: ` (flag --x, env VMCP_X)`, or `""`
 * for a field set in the config file only.
 */
export function configHint(field: string): string {
  const row = field === "config" ? fieldOfFlag("config") : fieldOfPath(field);
  return row === undefined ? "" : ` (flag --${row.flag}, env ${row.env})`;
}
