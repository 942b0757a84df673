import {
  DefaultBackendRetryInitialDelayMs,
  DefaultBackendRetryMaxDelayMs,
  DefaultBackendRetryWaitMs,
  DefaultIdleTimeoutMs,
  DefaultSessionTtlMs,
  DefaultStdioStopGraceMs,
} from "@vmcp/session-core/defaults";
import { assertValidWorkloadId } from "@vmcp/session-keys";
import { DefaultKeyPrefix, DefaultTimeoutMs } from "@vmcp/store-redis";
import { z } from "zod";
import { DefaultBackendFailureLogIntervalMs } from "../backend-failure-log.js";
import { DefaultHeadersTimeoutMs, DefaultMaxHeaderBytes } from "../http/endpoint/client-error.js";
import { DefaultMaxJsonDepth } from "../http/endpoint/json-body.js";
import { DefaultBodyTimeoutMs } from "../http/endpoint/read-body.js";
import { IdentityConfigSchema } from "../identity/identity-config.js";
import { DefaultMaxTokenBytes } from "../identity/token-size-limit.js";
import { DefaultMaxLogValueChars } from "../log-redaction.js";
import { LimitsConfigSchema } from "./limits-config.js";
import { ModernConfigSchema } from "./modern-config.js";

/** Default HTTP port of the gateway: 4000. */
export const DefaultPort = 4000;
/** Default request body limit: 1 MiB, in bytes. */
export const DefaultMaxBodyBytes = 1024 * 1024;

/** The Redis store's bound on every call, ms: `@vmcp/store-redis`'s `DefaultTimeoutMs`, imported, not copied. */
export const RedisStoreTimeoutMs = DefaultTimeoutMs;

const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, "expected host:port, e.g. 127.0.0.1:26379");

const workloadId = z.string().superRefine((value, ctx) => {
  try {
    assertValidWorkloadId(value);
  } catch (error) {
    ctx.addIssue({ code: "custom", message: (error as Error).message });
  }
});

const httpUrl = z.url({ protocol: /^https?$/, error: "expected an http:// or https:// URL" });

/** Where session records live. */
export const StoreConfigSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("memory"),
    /** Most sessions kept, default 10,000. */
    maxSessions: z.int().positive().optional(),
  }),
  z
    .strictObject({
      kind: z.literal("redis"),
      /** Standalone Redis, e.g. `redis://127.0.0.1:6379/0`. */
      url: z
        .url({ protocol: /^rediss?$/, error: "expected a redis:// or rediss:// URL" })
        .optional(),
      /** Sentinel: the master's name and the sentinels. */
      sentinel: z
        .strictObject({
          masterName: z.string().min(1),
          sentinels: z.array(hostPort).min(1),
          password: z.string().optional(),
        })
        .optional(),
      /** Cluster: seed nodes. */
      cluster: z
        .strictObject({ nodes: z.array(hostPort).min(1), password: z.string().optional() })
        .optional(),
      /** Prefix of every key the gateway writes, default `vmcp:session:` (the store's default). */
      keyPrefix: z.string().min(1).optional().meta({ appliedDefault: DefaultKeyPrefix }),
      /**
       * Write durability, default off: each session write waits until `replicas` replicas
       * confirmed it (Redis `WAIT`, at most `timeoutMs`, default 750 ms), else answers 503.
       */
      durability: z
        .strictObject({
          replicas: z.int().positive(),
          timeoutMs: z
            .int()
            .positive()
            .max(
              RedisStoreTimeoutMs - 1,
              `must be below the store's ${RedisStoreTimeoutMs} ms bound on every call`,
            )
            .optional(),
        })
        .optional(),
    })
    .superRefine((value, ctx) => {
      const modes = [value.url, value.sentinel, value.cluster].filter(
        (m) => m !== undefined,
      ).length;
      if (modes !== 1) {
        ctx.addIssue({
          code: "custom",
          path: ["url"],
          message:
            modes === 0
              ? "the redis store needs exactly one of url, sentinel or cluster"
              : "give only one of url, sentinel or cluster",
        });
      }
    }),
]);

/**
 * The protocol eras an HTTP backend can be pinned to (`backends[].era`): `auto` (the default:
 * probed, the verdict shared through the store), `2025` (a 2025-era backend: never probed, no
 * verdict record) or `2026-07-28` (modern only: never probed, its `server/discover` answer asked
 * with the era pinned, no fallback).
 */
export const BackendEraPins = ["auto", "2025", "2026-07-28"] as const;

/** One of {@link BackendEraPins}. */
export type BackendEraPin = (typeof BackendEraPins)[number];

/** Whether `value` is one of {@link BackendEraPins}. */
export function isBackendEraPin(value: unknown): value is BackendEraPin {
  return (BackendEraPins as readonly unknown[]).includes(value);
}

// Checked by the whole config's refinement (`eraProblem`), not here: a refusal inside one branch
// of the backend union would be reported as the other branch's unknown keys.
const eraPin = z
  .custom<BackendEraPin>(() => true)
  .optional()
  .meta({ appliedDefault: "auto" });

/** Why a backend's `era` cannot be used, or `undefined` when it can (absent counts as `auto`). */
function eraProblem(backend: { readonly era?: unknown; readonly url?: unknown }) {
  if (backend.era === undefined) return undefined;
  if (!("url" in backend)) {
    return "applies to HTTP backends only: a stdio backend is never probed (2026-07-28 clients reach it through pooled backend sessions)";
  }
  if (isBackendEraPin(backend.era)) return undefined;
  const expected = BackendEraPins.map((e) => JSON.stringify(e)).join(", ");
  return `expected one of ${expected}, got ${JSON.stringify(backend.era)}`;
}

/** One backend MCP server. */
export const BackendConfigSchema = z.union([
  z.strictObject({
    workloadId,
    /** Streamable HTTP endpoint of the backend. */
    url: httpUrl,
    headers: z.record(z.string(), z.string()).optional(),
    /** Its protocol era, default `auto` (probed); see {@link BackendEraPins}. */
    era: eraPin,
  }),
  z.strictObject({
    workloadId,
    /** Executable of a stdio backend. */
    command: z.string().min(1),
    args: z.array(z.string()).optional(),
    env: z.record(z.string(), z.string()).optional(),
    cwd: z.string().optional(),
    /** Refused (by the whole config's refinement) with a message saying why: never probed. */
    era: z.unknown().optional(),
  }),
]);

/** The whole gateway configuration, after merging file, environment and flags. */
export const GatewayConfigSchema = z
  .strictObject({
    host: z.string().min(1).default("127.0.0.1"),
    port: z.int().min(0).max(65535).default(DefaultPort),
    sessionTtlMs: z.int().min(1000).default(DefaultSessionTtlMs),
    maxBodyBytes: z.int().min(1024).default(DefaultMaxBodyBytes),
    connectTimeoutMs: z.int().min(1).default(10_000),
    idleTimeoutMs: z.int().min(0).default(DefaultIdleTimeoutMs),
    backendRetryInitialDelayMs: z.int().min(1).default(DefaultBackendRetryInitialDelayMs),
    backendRetryMaxDelayMs: z.int().min(1).default(DefaultBackendRetryMaxDelayMs),
    backendRetryWaitMs: z.int().min(0).default(DefaultBackendRetryWaitMs),
    stdioStopGraceMs: z.int().min(0).default(DefaultStdioStopGraceMs),
    shutdownTimeoutMs: z.int().min(0).default(10_000),
    maxLiveSessions: z.int().positive().default(1000),
    headersTimeoutMs: z.int().min(100).default(DefaultHeadersTimeoutMs),
    bodyTimeoutMs: z.int().min(100).default(DefaultBodyTimeoutMs),
    maxHeaderBytes: z
      .int()
      .min(1024)
      .max(1024 * 1024)
      .default(DefaultMaxHeaderBytes),
    maxTokenBytes: z.int().min(64).default(DefaultMaxTokenBytes),
    maxJsonDepth: z.int().min(2).max(1000).default(DefaultMaxJsonDepth),
    logMaxValueChars: z.int().min(64).default(DefaultMaxLogValueChars),
    /** Least time between two "backend failed to connect" lines of one backend, ms; `0` logs each. */
    backendFailureLogIntervalMs: z.int().min(0).default(DefaultBackendFailureLogIntervalMs),
    logLevel: z
      .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
      .default("info"),
    /** Registers the OpenTelemetry Node SDK for traces (`OTEL_*` configure it); default `false`. */
    tracing: z.boolean().default(false),
    /** Serves `GET /metrics` in Prometheus text; default `false`. */
    metrics: z.boolean().default(false),
    /** `Host` names allowed to reach `/mcp` (403 otherwise); default: loopback names when bound to loopback, else any. */
    allowedHosts: z.array(z.string().min(1)).optional(),
    /** `Origin` values allowed to reach `/mcp` (403 otherwise); default: loopback origins when bound to loopback, else any. */
    allowedOrigins: z.array(z.string().min(1)).optional(),
    bindingSecret: z
      .string()
      .min(16, "use a secret of at least 16 characters")
      .optional()
      .meta({ appliedDefault: "a random key per process" }),
    store: StoreConfigSchema.default({ kind: "memory" }),
    backends: z.array(BackendConfigSchema).default([]),
    identity: IdentityConfigSchema.default({ kind: "none" }),
    /** Bounded work per request, session and caller (see limits-config.ts). */
    limits: LimitsConfigSchema.prefault({}),
    /** MCP 2026-07-28 clients and backends (see modern-config.ts). */
    modern: ModernConfigSchema.prefault({}),
  })
  .superRefine((value, ctx) => {
    if (value.backendRetryMaxDelayMs < value.backendRetryInitialDelayMs) {
      ctx.addIssue({
        code: "custom",
        path: ["backendRetryMaxDelayMs"],
        message: "must be at least backendRetryInitialDelayMs",
      });
    }
    if (
      value.store.kind === "redis" &&
      value.identity.kind !== "none" &&
      value.bindingSecret === undefined
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["bindingSecret"],
        message:
          "a shared store with an identity source needs a bindingSecret shared by every replica (otherwise other replicas refuse the rightful owner)",
      });
    }
    const seen = new Set<string>();
    value.backends.forEach((backend, index) => {
      if (seen.has(backend.workloadId)) {
        ctx.addIssue({
          code: "custom",
          path: ["backends", index, "workloadId"],
          message: `duplicate workload ID ${JSON.stringify(backend.workloadId)}`,
        });
      }
      seen.add(backend.workloadId);
      const problem = eraProblem(backend);
      if (problem !== undefined) {
        ctx.addIssue({ code: "custom", path: ["backends", index, "era"], message: problem });
      }
    });
  });

/** The validated gateway configuration (see the README's configuration reference). */
export type GatewayConfig = z.output<typeof GatewayConfigSchema>;
/** The store part of {@link GatewayConfig}. */
export type StoreConfig = z.output<typeof StoreConfigSchema>;
/** One backend of {@link GatewayConfig}. */
export type BackendConfig = z.output<typeof BackendConfigSchema>;
