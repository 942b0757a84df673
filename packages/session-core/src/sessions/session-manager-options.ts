/** The options of a `SessionManager` and of its `create`, their defaults, and their checks. */
import type { BackendRetryOptions } from "../backends/backend-retry.js";
import type { SessionStorage } from "../storage/session-storage.js";
import { DefaultTtlSlideGranularityMs, effectiveSlideGranularity } from "../storage/ttl-slide.js";
import type { ClientInfoRecord } from "./client-info.js";
import type { SessionOwner } from "./identity-binding.js";
import { DefaultIdleTimeoutMs } from "./idle-sweeper.js";
import type { MultiSessionFactory } from "./multi-session-factory.js";

/** The default session TTL: 30 minutes (1,800,000 ms), slid by the owner's `get`s. */
export const DefaultSessionTtlMs = 30 * 60_000;

/** The default bound on live sessions held by one manager: 1,000. */
export const DefaultMaxLiveSessions = 1_000;

/**
 * Fresh connects tried before a failed backend is declared gone and leaves the session:
 * {@link SessionManagerOptions.backendRecoveryAttempts}.
 */
export const DefaultBackendRecoveryAttempts = 3;

/** Options for {@link SessionManager}. */
export interface SessionManagerOptions {
  /**
   * Where session records live (any `SessionStorage`). It stays the caller's: the manager never
   * closes it, so close it yourself after {@link SessionManager.close}.
   */
  readonly storage: SessionStorage;
  /** Makes and restores the live sessions. */
  readonly factory: MultiSessionFactory;
  /**
   * Session TTL in ms, slid by the owner's `get`s.
   * @default 1_800_000 (30 min; {@link DefaultSessionTtlMs} in `@vmcp/session-core/defaults`)
   */
  readonly ttlMs?: number;
  /**
   * The most live sessions (with open backend connections) this manager keeps.
   * Eviction closes local connections only; stored data stays. A session evicted (or let go by
   * `ManagedSession.evict`) while requests on it are in flight keeps its connections until the
   * last of them ends, then closes them.
   * @default 1_000
   */
  readonly maxLiveSessions?: number;
  /**
   * The HMAC key of identity bindings. Every replica must share it when sessions have owners:
   * without it a random per-process key is used, and other replicas refuse the rightful owner
   * with `SessionOwnerMismatchError`. Default: random, this process only.
   */
  readonly bindingSecret?: string | Uint8Array;
  /**
   * How many fresh connects a backend whose session expired or whose connection was lost gets
   * before it is declared gone and removed from the session and its stored metadata, so that one
   * reset connection does not drop a healthy backend. Attempts stop early once the factory's
   * `connectTimeoutMs` has passed since the first, so recovery takes at most about that long
   * plus one attempt.
   * @default 3
   */
  readonly backendRecoveryAttempts?: number;
  /**
   * How a stored backend that could not be reattached at restore (briefly unreachable) is tried
   * again on later requests: with a doubling pause from `initialDelayMs` (default 500) up to
   * `maxDelayMs` (default 10,000), each request waiting at most `waitMs` (default 250) for a try
   * it started. The backend stays in the stored record meanwhile. See {@link BackendRetryOptions}.
   */
  readonly backendRetry?: BackendRetryOptions;
  /**
   * A live session with no request for this long, ms, closes its backend connections (stopping
   * its stdio processes) and leaves the local cache; its record stays in the store and the next
   * request restores it. A session with a request in flight is never idle. Checked every half of
   * this (at most every 30 s). `0` keeps idle sessions until eviction.
   * @default 300_000 (5 min; {@link DefaultIdleTimeoutMs} in `@vmcp/session-core/defaults`)
   */
  readonly idleTimeoutMs?: number;
  /** The clock, epoch ms. Default `Date.now`. */
  readonly now?: () => number;
  /**
   * The TTL slides (after the owner check) only when it would move the deadline by at least this
   * much, ms, so most requests cost one store read and no write; a session may then expire up to
   * this much early. Capped at a tenth of `ttlMs`; 0 slides on every `get`.
   * @default 60_000 (1 min)
   */
  readonly ttlSlideGranularityMs?: number;
}

/** Options for {@link SessionManager.create}. */
export interface CreateSessionOptions {
  /** The identity to bind the session to; absent: the session is open to any holder of its ID. */
  readonly owner?: SessionOwner;
  /**
   * What the client sent at `initialize` (the params of its `initialize` request:
   * `{ protocolVersion, capabilities, clientInfo: { name, version } }`), kept so any replica can
   * serve the session. Checked before any backend is contacted.
   */
  readonly client?: ClientInfoRecord;
  /** The session ID. Default: a fresh `generateSessionId()`. */
  readonly id?: string;
  /**
   * More metadata to store with the session, e.g. a marker saying what kind of session it is
   * (`vmcp.session.pool`). Written in the same create as the backend and identity keys, and kept
   * on restore like every stored key. Keys the session layer writes itself (`vmcp.backend.*`,
   * `vmcp.identity.*`, `vmcp.client.*`) are refused. Default: none.
   */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** The bounds of a {@link SessionManager}, defaults applied and checked. */
export interface ManagerBounds {
  readonly ttlMs: number;
  readonly maxLiveSessions: number;
  readonly backendRecoveryAttempts: number;
  readonly idleTimeoutMs: number;
  /** The effective TTL slide granularity (capped at a tenth of the TTL), ms. */
  readonly slideGranularityMs: number;
}

/**
 * The manager's bounds from its options, defaults applied.
 * @throws {RangeError} for a non-positive `ttlMs`, `maxLiveSessions` or `backendRecoveryAttempts`,
 * or a negative `idleTimeoutMs`.
 */
export function resolveManagerBounds(options: SessionManagerOptions): ManagerBounds {
  const ttlMs = options.ttlMs ?? DefaultSessionTtlMs;
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new RangeError(`ttlMs must be a positive integer of ms, got ${String(ttlMs)}`);
  }
  const maxLiveSessions = options.maxLiveSessions ?? DefaultMaxLiveSessions;
  if (!Number.isSafeInteger(maxLiveSessions) || maxLiveSessions <= 0) {
    throw new RangeError(
      `maxLiveSessions must be a positive integer, got ${String(maxLiveSessions)}`,
    );
  }
  const attempts = options.backendRecoveryAttempts ?? DefaultBackendRecoveryAttempts;
  if (!Number.isSafeInteger(attempts) || attempts < 1) {
    throw new RangeError(
      `backendRecoveryAttempts must be a positive integer, got ${String(attempts)}`,
    );
  }
  const idleTimeoutMs = options.idleTimeoutMs ?? DefaultIdleTimeoutMs;
  if (!Number.isSafeInteger(idleTimeoutMs) || idleTimeoutMs < 0) {
    throw new RangeError(
      `idleTimeoutMs must be an integer of ms >= 0, got ${String(idleTimeoutMs)}`,
    );
  }
  const slideGranularityMs = effectiveSlideGranularity(
    ttlMs,
    options.ttlSlideGranularityMs ?? DefaultTtlSlideGranularityMs,
  );
  return {
    ttlMs,
    maxLiveSessions,
    backendRecoveryAttempts: attempts,
    idleTimeoutMs,
    slideGranularityMs,
  };
}
