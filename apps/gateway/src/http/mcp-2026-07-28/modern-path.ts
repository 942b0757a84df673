import { createNodeHttpFetch, type SessionStorage, type ToolNaming } from "@vmcp/session-core";
import type { GatewayLogger } from "../../logger.js";
import type { CursorCodec } from "../routing/cursor.js";
import { ListAggregator } from "./aggregate-list.js";
import { BackendVerdicts } from "./backend-verdicts.js";
import { type EraProbe, probeEra } from "./era-probe.js";
import { ModernListCursors } from "./list-cursor.js";
import { ModernBackends } from "./modern-backends.js";
import { ModernEndpoint } from "./modern-endpoint.js";
import { ModernRelay } from "./modern-relay.js";
import type { ConfiguredBackend, ModernSettings } from "./modern-settings.js";
import { createPool, type Pool, type PoolParts } from "./pool/create-pool.js";
import type { RequestStatePort } from "./request-state/request-state-port.js";
import { RouteTables } from "./route-tables.js";
import { createServerFactory } from "./server-factory.js";

/** What the modern path is built from (the gateway's parts and configuration). */
export interface ModernPathOptions {
  readonly config: ModernSettings;
  /** Every configured backend. */
  readonly backends: readonly ConfiguredBackend[];
  /** The configured store: backend era verdicts live there. */
  readonly storage: SessionStorage;
  /** The gateway's list cursors (shared with the 2025 path). */
  readonly cursors: CursorCodec;
  /** The naming rule of tools and prompts (the session factory's). */
  readonly naming: ToolNaming;
  /** Least time between two list refreshes an unknown name triggers, ms. */
  readonly listRefreshIntervalMs: number;
  /** Bound on one era probe, ms. */
  readonly probeTimeoutMs: number;
  /** Request body bound, bytes. */
  readonly maxBodyBytes: number;
  /** Whether the gateway verifies identities (lists are then `private`). */
  readonly perCaller: boolean;
  /** The binding secret: keys the verdict record IDs. */
  readonly bindingSecret?: string;
  /** Seals the gateway's `requestState`; without it `input_required` cannot be relayed. */
  readonly requestState?: RequestStatePort;
  /** Replaces the era probe (tests). */
  readonly probe?: EraProbe;
  /**
   * The gateway's parts for pooled backend sessions, through which 2026-07-28 clients reach
   * 2025-era and stdio backends. Default: none (those backends are not served to them).
   */
  readonly pool?: PoolParts;
  readonly log: GatewayLogger;
}

/** The built modern path. */
export interface ModernPath {
  /** The `/mcp` endpoint's hook for 2026-07-28 POSTs. */
  readonly endpoint: ModernEndpoint;
  /** The backends' era verdicts (for operators and tests). */
  readonly verdicts: BackendVerdicts;
  /** The pooled backend sessions (with `options.pool`); closed by the gateway's teardown. */
  readonly pool?: Pool;
}

/**
 * Builds the gateway's 2026-07-28 path: verdicts, backend set, pooled backend sessions (with
 * `options.pool`), routes, lists, relay, endpoint.
 */
export function createModernPath(options: ModernPathOptions): ModernPath {
  const { config, log } = options;
  // One keep-alive node:http fetch for every backend call and probe (a fraction of undici's CPU).
  const fetch = createNodeHttpFetch();
  const verdicts = new BackendVerdicts({
    storage: options.storage,
    backends: options.backends.flatMap((b) =>
      "url" in b
        ? [
            {
              workloadId: b.workloadId,
              url: b.url,
              ...(b.headers === undefined ? {} : { headers: b.headers }),
            },
          ]
        : [],
    ),
    ttlMs: config.verdictTtlMs,
    probeRetryMs: config.probeRetryMs,
    probeTimeoutMs: options.probeTimeoutMs,
    ...(options.bindingSecret === undefined ? {} : { secret: options.bindingSecret }),
    probe: options.probe ?? ((target, timeoutMs) => probeEra(target, timeoutMs, fetch)),
    log,
  });
  const backends = new ModernBackends({ backends: options.backends, verdicts });
  const pool =
    options.pool === undefined
      ? undefined
      : createPool({
          settings: config,
          parts: options.pool,
          storage: options.storage,
          backends: options.backends,
          era: (workloadId) => verdicts.verdict(workloadId),
          ...(options.bindingSecret === undefined ? {} : { bindingSecret: options.bindingSecret }),
          retryMs: config.probeRetryMs,
          log,
        });
  const routes = new RouteTables({
    naming: options.naming,
    refreshIntervalMs: options.listRefreshIntervalMs,
    // One table for the modern backends alone, and one per caller view of the pooled ones.
    maxTables: pool === undefined ? 1 : config.maxPooledSessions + 1,
  });
  const lists = new ListAggregator({
    cursors: new ModernListCursors(options.cursors),
    routes,
    namesNeedWholeList: options.naming === "prefix-on-conflict",
    ttlCapMs: config.listTtlCapMs,
    perCaller: options.perCaller,
  });
  const relay = new ModernRelay({
    backends,
    routes,
    lists,
    callTimeoutMs: config.callTimeoutMs,
    fetch,
    log,
    ...(options.requestState === undefined ? {} : { requestState: options.requestState }),
  });
  const endpoint = new ModernEndpoint({
    factory: createServerFactory({
      backends,
      relay,
      log,
      ttlCapMs: config.listTtlCapMs,
      perCaller: options.perCaller,
      ...(pool === undefined ? {} : { extend: (set) => pool.legacy.extend(set) }),
    }),
    maxSubscriptions: config.maxSubscriptions,
    keepAliveMs: config.keepAliveMs,
    maxRequestBodySize: options.maxBodyBytes,
    log,
    ...(pool === undefined ? {} : { around: pool.requests.around }),
  });
  return pool === undefined ? { endpoint, verdicts } : { endpoint, verdicts, pool };
}
