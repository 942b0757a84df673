import {
  type ClientInfoRecord,
  type ManagedSession,
  SessionExistsError,
  type SessionManager,
  type SessionOwner,
} from "@vmcp/session-core";
import { MetadataKeySessionPool } from "@vmcp/session-keys";
import { callerKey } from "../caller-auth.js";
import {
  anonymousPooledSessionId,
  canonicalJson,
  PoolRevision,
  pooledSessionId,
} from "./pool-key.js";

/** The default bound on live pooled backend sessions one identity holds on one replica: 4. */
export const DefaultMaxPooledSessionsPerCaller = 4;

/** Options of {@link PooledSessions}. */
export interface PooledSessionsOptions {
  /**
   * The session manager of pooled backend sessions (their own LRU of live sessions, TTL, idle
   * sweeper, owner binding, backend expiry and restore, over the gateway's store).
   */
  readonly manager: SessionManager;
  /** Keys the IDs of identified callers' sessions (the binding secret; see `pooledSessionId`). */
  readonly idKey: string | Uint8Array;
  /**
   * Live pooled backend sessions one identity may hold on this replica (one per distinct set of
   * declared client capabilities); a new one beyond evicts that identity's least recently used
   * one (its record stays, and a later request restores it).
   * @default 4
   */
  readonly maxPerCaller?: number;
}

/** A pooled backend session held for one request. */
export interface PooledLease {
  readonly session: ManagedSession;
  /**
   * Names what the caller reaches (identity and declared capabilities, or for an anonymous caller
   * the capabilities only), so route tables are shared by the requests that see the same lists.
   */
  readonly viewKey: string;
  /** Lets go of the session after the request: an anonymous caller's is terminated. Never rejects. */
  release(): Promise<void>;
  /**
   * Holds the session for a call that outlives the request (one parked for its client's input):
   * until the returned function is called, the caller's bound does not evict it and an anonymous
   * caller's is not terminated (its `release` then waits for the last hold). Idempotent release.
   */
  hold(): () => void;
}

/**
 * The pooled backend sessions of one replica: the backend sessions 2026-07-28 callers, who hold
 * no protocol session, use to reach 2025-era backends. Each is a session of its own
 * `SessionManager` (restored on any replica, an LRU of live ones, idle-swept, bound to its owner,
 * expired after an idle TTL), marked `vmcp.session.pool` = `2026-07-28`.
 * - An identified caller gets one per identity and declared client capabilities (a backend may
 *   offer tools that depend on them), under an ID derived from both with a keyed hash
 *   (`pooledSessionId`): made on first use (create-if-absent: of two replicas racing, one makes
 *   it and the other loads it), reused by every later request on any replica, never shared with
 *   another identity (the owner binding refuses one).
 * - An anonymous caller gets a session of its own for each request, terminated after it (its
 *   backend sessions ended), so nothing is ever shared between anonymous callers.
 */
export class PooledSessions {
  readonly #manager: SessionManager;
  readonly #idKey: string | Uint8Array;
  readonly #maxPerCaller: number;
  /** Per identity: its live pooled sessions on this replica, least recently used first. */
  readonly #byCaller = new Map<string, Map<string, ManagedSession>>();
  readonly #creating = new Map<string, Promise<ManagedSession>>();
  /** Holds on live sessions by calls parked for input (see `PooledLease.hold`). */
  readonly #holds = new Map<string, number>();

  /** @throws {RangeError} for a `maxPerCaller` that is not a positive integer. */
  constructor(options: PooledSessionsOptions) {
    this.#manager = options.manager;
    this.#idKey = options.idKey;
    this.#maxPerCaller = options.maxPerCaller ?? DefaultMaxPooledSessionsPerCaller;
    if (!Number.isSafeInteger(this.#maxPerCaller) || this.#maxPerCaller < 1) {
      throw new RangeError(
        `maxPerCaller must be a positive integer, got ${String(this.#maxPerCaller)}`,
      );
    }
  }

  /** Live pooled backend sessions on this replica (anonymous callers' included). */
  get liveCount(): number {
    return this.#manager.liveCount;
  }

  /**
   * The pooled backend session of `owner` for `client` (its declared capabilities and info), made
   * when there is none; for an anonymous caller, a new one (released: terminated).
   * @throws what the session manager throws: a store failure, `SessionOwnerMismatchError` (a
   *   replica with another binding secret made it), `SessionTooLargeError` (client info over its
   *   bound), `InvalidSessionInputError`.
   */
  async acquire(owner: SessionOwner | undefined, client: ClientInfoRecord): Promise<PooledLease> {
    const marker = { [MetadataKeySessionPool]: PoolRevision };
    if (owner === undefined) {
      const session = await this.#manager.create({
        id: anonymousPooledSessionId(),
        client,
        metadata: marker,
      });
      let released = false;
      const end = () => void session.terminate().catch(() => undefined);
      return {
        session,
        viewKey: `anonymous ${canonicalJson(client.capabilities)}`,
        release: async () => {
          released = true;
          if (!this.#isHeld(session.id)) end();
        },
        hold: this.#holder(session.id, () => released && end()),
      };
    }
    const id = pooledSessionId(this.#idKey, owner, client.capabilities);
    const session = (await this.#manager.get(id, owner)) ?? (await this.#create(id, owner, client));
    this.#held(owner, session);
    return { session, viewKey: id, release: async () => {}, hold: this.#holder(id, () => {}) };
  }

  /**
   * Cancels one backend request of a pooled session that another replica held (it died with the
   * request parked): restores the session here (bound to `owner`), sends the backend
   * `notifications/cancelled` for `requestId`, and for an anonymous caller's per-request session
   * ends it. Resolves whether the session was found.
   * @throws what the session manager throws (a store failure, `SessionOwnerMismatchError`).
   */
  async cancelRequest(
    sessionId: string,
    owner: SessionOwner | undefined,
    workloadId: string,
    requestId: string | number,
  ): Promise<boolean> {
    const session = await this.#manager.get(sessionId, owner);
    if (session === undefined) return false;
    await session.notifyBackend(workloadId, "notifications/cancelled", {
      requestId,
      reason: "the gateway replica holding this call is gone",
    });
    if (owner === undefined) await session.terminate();
    return true;
  }

  /** Live pooled sessions held by parked calls now (for operators and tests). */
  get heldCount(): number {
    return this.#holds.size;
  }

  #isHeld(id: string): boolean {
    return (this.#holds.get(id) ?? 0) > 0;
  }

  /** A `hold` for session `id`; `onLast` runs when its last hold is let go. */
  #holder(id: string, onLast: () => void): () => () => void {
    return () => {
      this.#holds.set(id, (this.#holds.get(id) ?? 0) + 1);
      let done = false;
      return () => {
        if (done) return;
        done = true;
        const left = (this.#holds.get(id) ?? 1) - 1;
        if (left > 0) {
          this.#holds.set(id, left);
          return;
        }
        this.#holds.delete(id);
        onLast();
      };
    };
  }

  /** Makes the session `id` once per replica at a time; the loser of a race between replicas loads it. */
  #create(id: string, owner: SessionOwner, client: ClientInfoRecord): Promise<ManagedSession> {
    let pending = this.#creating.get(id);
    if (pending === undefined) {
      pending = (async () => {
        try {
          return await this.#manager.create({
            id,
            owner,
            client,
            metadata: { [MetadataKeySessionPool]: PoolRevision },
          });
        } catch (error) {
          if (!(error instanceof SessionExistsError)) throw error;
          const made = await this.#manager.get(id, owner);
          if (made === undefined) throw error;
          return made;
        }
      })().finally(() => this.#creating.delete(id));
      this.#creating.set(id, pending);
    }
    return pending;
  }

  /**
   * Records that `owner` uses `session` now; past `maxPerCaller` live ones, evicts its least
   * recently used (local connections closed, stdio processes stopped; the record stays).
   */
  #held(owner: SessionOwner, session: ManagedSession): void {
    const caller = callerKey(owner);
    let held = this.#byCaller.get(caller);
    if (held === undefined) {
      held = new Map();
      this.#byCaller.set(caller, held);
    }
    held.delete(session.id);
    held.set(session.id, session);
    for (const [id] of held) {
      if (!this.#manager.isLive(id)) held.delete(id);
    }
    // The least recently used first; a session a parked call holds is passed over (it stays).
    for (const [oldest, managed] of [...held]) {
      if (held.size <= this.#maxPerCaller) break;
      if (this.#isHeld(oldest)) continue;
      held.delete(oldest);
      void managed.evict();
    }
    // Identities whose sessions all left this replica's cache carry nothing worth keeping.
    if (this.#byCaller.size > 4 * Math.max(1, this.#manager.liveCount)) {
      for (const [key, ids] of this.#byCaller) {
        for (const [id] of ids) if (!this.#manager.isLive(id)) ids.delete(id);
        if (ids.size === 0) this.#byCaller.delete(key);
      }
    }
  }

  /** Closes the live pooled sessions' local connections (their records and backend sessions stay). */
  close(): Promise<void> {
    return this.#manager.close();
  }
}
