/**
 * Turns each configuration source (flags, environment variables) into a raw, unvalidated
 * fragment of the config file's shape, so all three merge and validate in one place.
 */

/** A raw configuration fragment, not yet validated. */
export type RawConfig = Record<string, unknown>;

/** The gateway's `serve` flags that carry a value, with their config field and env variable. */
export const ConfigFlags = {
  config: { env: "VMCP_CONFIG", help: "path of a JSON config file" },
  host: { env: "VMCP_HOST", help: "interface to listen on (default 127.0.0.1)" },
  port: { env: "VMCP_PORT", help: "HTTP port (default 4000; 0 picks a free one)" },
  "session-ttl-ms": { env: "VMCP_SESSION_TTL_MS", help: "session TTL, ms (default 1800000)" },
  "max-body-bytes": {
    env: "VMCP_MAX_BODY_BYTES",
    help: "request body limit, bytes (default 1048576)",
  },
  "connect-timeout-ms": {
    env: "VMCP_CONNECT_TIMEOUT_MS",
    help: "per-backend connect bound, ms (default 10000)",
  },
  "shutdown-timeout-ms": {
    env: "VMCP_SHUTDOWN_TIMEOUT_MS",
    help: "graceful shutdown bound, ms (default 10000)",
  },
  "max-live-sessions": {
    env: "VMCP_MAX_LIVE_SESSIONS",
    help: "live sessions kept per replica (default 1000)",
  },
  "log-level": { env: "VMCP_LOG_LEVEL", help: "pino level (default info)" },
  "binding-secret": {
    env: "VMCP_BINDING_SECRET",
    help: "HMAC key of the identity binding (same on every replica)",
  },
  store: { env: "VMCP_STORE", help: "memory (default) or redis" },
  "redis-url": { env: "VMCP_REDIS_URL", help: "standalone Redis URL" },
  "redis-sentinel": { env: "VMCP_REDIS_SENTINEL", help: "MASTER@host:port,host:port" },
  "redis-cluster": { env: "VMCP_REDIS_CLUSTER", help: "host:port,host:port" },
  "redis-key-prefix": { env: "VMCP_REDIS_KEY_PREFIX", help: "prefix of the Redis keys" },
  "redis-durability": {
    env: "VMCP_REDIS_DURABILITY",
    help: "REPLICAS[:TIMEOUT_MS]: each write waits for that many replicas (default off)",
  },
  backend: {
    env: "VMCP_BACKENDS",
    help: "ID=URL or ID=stdio:COMMAND ARGS (repeatable; env: comma-separated)",
  },
  identity: { env: "VMCP_IDENTITY", help: "none (default), static or jwt" },
  "static-token": {
    env: "VMCP_STATIC_TOKENS",
    help: "TOKEN=SUBJECT (issuer `static`; repeatable; env: comma-separated)",
  },
  "jwt-secret": { env: "VMCP_JWT_SECRET", help: "HMAC secret of the JWT identity" },
  "jwt-jwks-file": { env: "VMCP_JWT_JWKS_FILE", help: "JWKS file of the JWT identity" },
  "jwt-issuer": { env: "VMCP_JWT_ISSUER", help: "required JWT issuer" },
  "jwt-audience": { env: "VMCP_JWT_AUDIENCE", help: "required JWT audience" },
} as const;

/** The name of a value-carrying flag. */
export type ConfigFlagName = keyof typeof ConfigFlags;

/** Flags that may be given more than once. */
export const RepeatableFlags: ReadonlySet<ConfigFlagName> = new Set(["backend", "static-token"]);

/** Collected values by flag: one string, or a list for repeatable flags. */
export type FlagValues = Partial<Record<ConfigFlagName, string | string[]>>;

/** Reads the `VMCP_*` variables of `env` into flag values (lists split on commas). */
export function flagValuesFromEnv(env: Readonly<Record<string, string | undefined>>): FlagValues {
  const values: FlagValues = {};
  for (const [flag, { env: name }] of Object.entries(ConfigFlags) as [
    ConfigFlagName,
    { env: string },
  ][]) {
    const value = env[name];
    if (value === undefined || value === "") continue;
    values[flag] = RepeatableFlags.has(flag)
      ? value
          .split(",")
          .map((v) => v.trim())
          .filter((v) => v !== "")
      : value;
  }
  return values;
}

/**
 * Maps flag values onto the config file's shape. `field` in the thrown message names the flag.
 * Numbers that do not parse stay strings, so validation names the field.
 */
export function rawConfigFromFlags(values: FlagValues): RawConfig {
  const raw: RawConfig = {};
  const one = (flag: ConfigFlagName): string | undefined => {
    const v = values[flag];
    return Array.isArray(v) ? v[v.length - 1] : v;
  };
  const many = (flag: ConfigFlagName): string[] => {
    const v = values[flag];
    return v === undefined ? [] : Array.isArray(v) ? v : [v];
  };
  const num = (v: string) => (/^-?\d+$/.test(v) ? Number(v) : v);

  const simple: [ConfigFlagName, string, boolean][] = [
    ["host", "host", false],
    ["port", "port", true],
    ["session-ttl-ms", "sessionTtlMs", true],
    ["max-body-bytes", "maxBodyBytes", true],
    ["connect-timeout-ms", "connectTimeoutMs", true],
    ["shutdown-timeout-ms", "shutdownTimeoutMs", true],
    ["max-live-sessions", "maxLiveSessions", true],
    ["log-level", "logLevel", false],
    ["binding-secret", "bindingSecret", false],
  ];
  for (const [flag, field, numeric] of simple) {
    const v = one(flag);
    if (v !== undefined) raw[field] = numeric ? num(v) : v;
  }

  const store: RawConfig = {};
  const kind = one("store");
  if (kind !== undefined) store.kind = kind;
  const url = one("redis-url");
  if (url !== undefined) store.url = url;
  const sentinel = one("redis-sentinel");
  if (sentinel !== undefined) {
    const at = sentinel.indexOf("@");
    store.sentinel = {
      masterName: at === -1 ? "" : sentinel.slice(0, at),
      sentinels: splitList(sentinel.slice(at + 1)),
    };
  }
  const cluster = one("redis-cluster");
  if (cluster !== undefined) store.cluster = { nodes: splitList(cluster) };
  const prefix = one("redis-key-prefix");
  if (prefix !== undefined) store.keyPrefix = prefix;
  const durability = one("redis-durability");
  if (durability !== undefined) {
    const [replicas = "", timeoutMs] = durability.split(":");
    store.durability =
      timeoutMs === undefined
        ? { replicas: num(replicas) }
        : { replicas: num(replicas), timeoutMs: num(timeoutMs) };
  }
  if (Object.keys(store).length > 0) {
    if (
      store.kind === undefined &&
      (url ?? sentinel ?? cluster ?? prefix ?? durability) !== undefined
    ) {
      store.kind = "redis";
    }
    raw.store = store;
  }

  const backends = many("backend").map(parseBackendFlag);
  if (backends.length > 0) raw.backends = backends;

  const identity: RawConfig = {};
  const identityKind = one("identity");
  if (identityKind !== undefined) identity.kind = identityKind;
  const tokens = many("static-token");
  if (tokens.length > 0) {
    const map: Record<string, { issuer: string; subject: string }> = {};
    for (const entry of tokens) {
      const eq = entry.indexOf("=");
      map[eq === -1 ? entry : entry.slice(0, eq)] = {
        issuer: "static",
        subject: eq === -1 ? "" : entry.slice(eq + 1),
      };
    }
    identity.tokens = map;
    identity.kind ??= "static";
  }
  const jwt: [ConfigFlagName, string][] = [
    ["jwt-secret", "secret"],
    ["jwt-jwks-file", "jwksFile"],
    ["jwt-issuer", "issuer"],
    ["jwt-audience", "audience"],
  ];
  for (const [flag, field] of jwt) {
    const v = one(flag);
    if (v !== undefined) {
      identity[field] = v;
      identity.kind ??= "jwt";
    }
  }
  if (Object.keys(identity).length > 0) raw.identity = identity;
  return raw;
}

/** `ID=URL` or `ID=stdio:COMMAND ARG...` to a raw backend entry. */
function parseBackendFlag(entry: string): RawConfig {
  const eq = entry.indexOf("=");
  const workloadId = eq === -1 ? entry : entry.slice(0, eq);
  const target = eq === -1 ? "" : entry.slice(eq + 1);
  if (target.startsWith("stdio:")) {
    const [command = "", ...args] = target.slice("stdio:".length).trim().split(/\s+/);
    return args.length > 0 ? { workloadId, command, args } : { workloadId, command };
  }
  return { workloadId, url: target };
}

function splitList(value: string): string[] {
  return value
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v !== "");
}

/**
 * Overlays `top` on `base`: objects merge key by key, everything else (arrays included) is
 * replaced. A `store` or `identity` whose `kind` changes replaces the base one whole, so a
 * `--store redis` never inherits memory-only fields from the file.
 */
export function mergeRawConfig(base: RawConfig, top: RawConfig): RawConfig {
  const out: RawConfig = { ...base };
  for (const [key, value] of Object.entries(top)) {
    const prev = out[key];
    if (isPlainObject(value) && isPlainObject(prev)) {
      const kindChanged =
        (key === "store" || key === "identity") &&
        value.kind !== undefined &&
        prev.kind !== undefined &&
        value.kind !== prev.kind;
      out[key] = kindChanged ? value : mergeRawConfig(prev, value);
    } else {
      out[key] = value;
    }
  }
  return out;
}

function isPlainObject(value: unknown): value is RawConfig {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
