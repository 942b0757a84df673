import {
  type BackendConnector,
  type BackendTarget,
  MultiSessionFactory,
  type MultiSessionFactoryOptions,
  SessionManager,
  type SessionManagerOptions,
  type SessionStorage,
} from "@vmcp/session-core";
import type { GatewayLogger } from "../../../logger.js";
import type { ConfiguredBackend } from "../modern-settings.js";
import { LegacyBackends } from "./legacy-backends.js";
import { type EraLookup, PoolConnector } from "./pool-connector.js";
import { randomPoolKey } from "./pool-key.js";
import { PoolRequests } from "./pool-requests.js";
import type { CallParking } from "./pooled-call.js";
import type { PooledMessages } from "./pooled-messages.js";
import { PooledSessions } from "./pooled-sessions.js";

/** The bounds of pooled backend sessions (the gateway's `modern` settings). */
export interface PoolSettings {
  /** Idle TTL of a pooled backend session's record, ms, slid by each request that uses it. */
  readonly pooledSessionTtlMs: number;
  /** Live pooled backend sessions one replica holds; the least recently used are evicted. */
  readonly maxPooledSessions: number;
  /** Live pooled backend sessions one identity holds on one replica. */
  readonly maxPooledSessionsPerCaller: number;
}

/** The gateway's parts pooled backend sessions are made with. */
export interface PoolParts {
  /**
   * The gateway's backend connector (stays the caller's to close, after {@link Pool.close}): its
   * keep-alive agents and stdio process table serve pooled sessions too.
   */
  readonly connector: BackendConnector;
  /** Every configured backend, as session-core targets. */
  readonly targets: readonly BackendTarget[];
  /** Receives what pooled sessions' backends send (the connector's message handler hands them on). */
  readonly messages: PooledMessages;
  /** Connect bound, naming rule, per-session bounds and connect-failure hook, as the 2025 path's. */
  readonly factory: Omit<MultiSessionFactoryOptions, "backends" | "connector">;
  /** Idle timeout and backend retry, as the 2025 path's. */
  readonly manager: Pick<
    SessionManagerOptions,
    "idleTimeoutMs" | "backendRetry" | "backendRecoveryAttempts" | "ttlSlideGranularityMs"
  >;
}

/** What {@link createPool} is given besides the parts. */
export interface CreatePoolOptions {
  readonly settings: PoolSettings;
  readonly parts: PoolParts;
  readonly storage: SessionStorage;
  readonly backends: readonly ConfiguredBackend[];
  /** The era verdict of each HTTP backend. */
  readonly era: EraLookup;
  /** Shared by the replicas: keys pooled session IDs and owner bindings. Default: random, this process only. */
  readonly bindingSecret?: string;
  /** Least time before a backend that could not be connected is tried again, ms. */
  readonly retryMs: number;
  /** How calls park for their client's input; without it a backend's mid-call request is refused. */
  readonly parking?: Omit<CallParking, "hold">;
  readonly log: GatewayLogger;
}

/** The pooled backend sessions of one replica, built. */
export interface Pool {
  readonly sessions: PooledSessions;
  /** The per-request scope (the modern endpoint's `around`). */
  readonly requests: PoolRequests;
  /** Adds the backends reached through pooled sessions to a request's set (the server factory's `extend`). */
  readonly legacy: LegacyBackends;
  /** Closes the live pooled sessions' local connections (records and backend sessions stay). */
  close(): Promise<void>;
}

/**
 * Builds the pooled backend sessions of one replica: a `SessionManager` of their own (bound
 * `maxPooledSessions`, TTL `pooledSessionTtlMs`, the gateway's binding secret, idle timeout and
 * backend retry) over the gateway's store, whose factory connects every configured backend as its
 * era asks (`PoolConnector`), the per-caller sessions, the request scope and the backend-set
 * extension.
 */
export function createPool(options: CreatePoolOptions): Pool {
  const { settings, parts } = options;
  const factory = new MultiSessionFactory({
    ...parts.factory,
    backends: parts.targets,
    connector: new PoolConnector(parts.connector, options.era),
  });
  const manager = new SessionManager({
    ...parts.manager,
    storage: options.storage,
    factory,
    ttlMs: settings.pooledSessionTtlMs,
    maxLiveSessions: settings.maxPooledSessions,
    ...(options.bindingSecret === undefined ? {} : { bindingSecret: options.bindingSecret }),
  });
  const sessions = new PooledSessions({
    manager,
    // Without a shared secret each replica binds (and so names) its pooled sessions alone.
    idKey: options.bindingSecret ?? randomPoolKey(),
    maxPerCaller: settings.maxPooledSessionsPerCaller,
  });
  const requests = new PoolRequests(sessions);
  const legacy = new LegacyBackends({
    backends: options.backends,
    era: options.era,
    requests,
    messages: parts.messages,
    retryMs: options.retryMs,
    ...(options.parking === undefined ? {} : { parking: options.parking }),
    connectTimeoutMs: factory.connectTimeoutMs,
    log: options.log,
  });
  return { sessions, requests, legacy, close: () => sessions.close() };
}
