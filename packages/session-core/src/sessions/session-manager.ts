/**
 * `SessionManager`: the live sessions of one replica in front of a `SessionStorage`. About 500
 * lines on purpose: create, get (with restore on a cache miss and the owner check), terminate
 * and close share one cache and one in-flight restore table, so they stay one class (the stored
 * metadata each entry last saw, `storedMetadata`, is kept by whichever of them read or wrote it);
 * what could leave has left (options and their checks, backend recovery, the live entry, the idle
 * sweeper).
 */
import { decodeBackendIds, MetadataKeyBackendIds, recordKindOf } from "@vmcp/session-keys";
import { LRUCache } from "lru-cache";
import type { BackendConnection } from "../backends/backend-connector.js";
import {
  type BackendRetryPolicy,
  backendRetryPolicy,
  MissingBackends,
} from "../backends/backend-retry.js";
import { definedFields } from "../defined-fields.js";
import { InvalidSessionInputError, SessionDecodeError } from "../storage/errors.js";
import { isValidSessionId } from "../storage/session-id.js";
import type { SessionMetadata, SessionRecord } from "../storage/session-record.js";
import type { SessionStorage } from "../storage/session-storage.js";
import { slideDue } from "../storage/ttl-slide.js";
import { instrumentStorage } from "../telemetry/instrumented-storage.js";
import {
  type SessionInstruments,
  sessionInstruments,
  traceRestore,
} from "../telemetry/telemetry.js";
import { type BackendUpdateResult, updateBackends } from "./backend-list-update.js";
import { backendEntryChange } from "./backend-metadata.js";
import { BackendRecovery } from "./backend-recovery.js";
import { readClientInfo } from "./client-info.js";
import { SessionClosedError, SessionExistsError } from "./errors.js";
import { IdentityBinder, type SessionOwner } from "./identity-binding.js";
import { IdleSweeper, type SessionActivity } from "./idle-sweeper.js";
import {
  type Entry,
  liveEntry,
  missingBackends,
  noteStored,
  type StoredSight,
  safeDecode,
} from "./live-entry.js";
import type { ManagedSession, ManagedSessionHost } from "./managed-session.js";
import type { MultiSessionFactory } from "./multi-session-factory.js";
import {
  type CreateSessionOptions,
  resolveManagerBounds,
  type SessionManagerOptions,
} from "./session-manager-options.js";
import type { MultiSession } from "./session-operations.js";

/**
 * Who asks to terminate a session: a caller whose identity is checked against the stored binding
 * (`verify`), or the holder of a `ManagedSession` the manager already checked (`held`).
 */
type TerminateAccess =
  | { readonly kind: "verify"; readonly owner: SessionOwner | undefined }
  | { readonly kind: "held" };

/**
 * Live multi-backend sessions in front of a `SessionStorage`: a bounded local LRU of live
 * sessions, restore on cache miss, identity binding, backend expiry and termination.
 *
 * - `get` always asks the store first (one `load`; the TTL slides only after the owner check, by a
 *   `touch` when due), so a session
 *   terminated on any replica is gone on every replica at once; only then does it answer from
 *   the LRU, or restore the session from its record (reattaching each backend with its stored
 *   backend session ID) and write changes back with an update, never a create. Concurrent misses
 *   for one ID restore once.
 * - A cached session is only rebuilt when the stored backend LIST gained a backend it lacks;
 *   changed per-backend session IDs are left alone, and removed backends are dropped locally.
 */
export class SessionManager {
  /** Session TTL, ms. */
  readonly ttlMs: number;
  readonly #storage: SessionStorage;
  readonly #factory: MultiSessionFactory;
  readonly #binder: IdentityBinder;
  readonly #now: () => number;
  readonly #live: LRUCache<string, Entry>;
  readonly #restoring = new Map<string, Promise<Entry | undefined>>();
  readonly #recovery: BackendRecovery;
  readonly #retryPolicy: BackendRetryPolicy;
  readonly #sweeper: IdleSweeper;
  readonly #host: ManagedSessionHost;
  readonly #slideGranularityMs: number;
  #closed = false;
  /** How many store reads and writes of session records this manager has seen complete. */
  #storeAccesses = 0;
  /** The instruments live-session reports go to (those of the provider at construction). */
  readonly #instruments: SessionInstruments;

  /** @throws {RangeError} for a non-positive `ttlMs` or `maxLiveSessions`, an empty `bindingSecret`, a bad `backendRetry` or a negative `idleTimeoutMs`. */
  constructor(options: SessionManagerOptions) {
    const bounds = resolveManagerBounds(options);
    const ttl = bounds.ttlMs;
    const max = bounds.maxLiveSessions;
    const idle = bounds.idleTimeoutMs;
    this.#slideGranularityMs = bounds.slideGranularityMs;
    this.#retryPolicy = backendRetryPolicy(options.backendRetry);
    this.#recovery = new BackendRecovery({
      factory: options.factory,
      attempts: bounds.backendRecoveryAttempts,
      isClosed: () => this.#closed,
      removeBackend: (id, workloadId) => this.removeBackend(id, workloadId),
      writeBack: (id, connection) => this.#writeBack(id, connection),
    });
    this.ttlMs = ttl;
    this.#storage = instrumentStorage(options.storage);
    this.#factory = options.factory;
    this.#binder = new IdentityBinder(options.bindingSecret);
    this.#now = options.now ?? Date.now;
    this.#live = new LRUCache<string, Entry>({
      max,
      dispose: (entry, _id, reason) => {
        if (entry.detached) return;
        // A session replaced in place, or dropped because its record changed, is not counted.
        if (reason === "evict" || entry.idle === true) {
          sessionInstruments().sessionsEvicted.add(1, {
            "vmcp.eviction.reason": reason === "evict" ? "capacity" : "idle",
          });
        }
        // A session with requests in flight (a long call, a call parked for its client's input)
        // keeps its connections until the last one ends: leaving the cache does not cut them.
        if (entry.activity.active > 0) {
          entry.activity.onQuiet = () => void entry.session.close();
          return;
        }
        void entry.session.close();
      },
    });
    this.#host = {
      recoverBackend: (session, workloadId) => this.#recovery.recover(session, workloadId),
      writeBackBackend: (session, connection) => this.#writeBack(session.id, connection),
      removeBackend: (id, workloadId) => this.removeBackend(id, workloadId),
      evict: async (id) => {
        this.#live.delete(id);
      },
      terminateOwned: (id) => this.#terminate(id, { kind: "held" }),
    };
    this.#sweeper = new IdleSweeper(idle, (isIdle) => this.#closeIdle(isIdle));
    this.#instruments = sessionInstruments();
    this.#instruments.liveCounts.add(this.#countLive);
  }

  /** This manager's share of `vmcp.sessions.live`, read when the metric reader collects. */
  readonly #countLive = (): number => this.#live.size;

  /** How many live sessions this manager holds now. */
  get liveCount(): number {
    return this.#live.size;
  }

  /** Whether this manager holds a live session for `id` now (no store access). */
  isLive(id: string): boolean {
    return this.#live.has(id);
  }

  /**
   * The stored metadata of a live session as this replica last saw it, with no store access: the
   * record this manager's last `get` of `id` loaded, the one `create` wrote, or the outcome of the
   * manager's own backend writes (restore, recovery, `removeBackend`), whichever completed last.
   * So while a request is served after its `get`, it is the record as of that `get` (or newer).
   * A write by another replica, or one made straight to the storage (not through this manager),
   * shows here from this replica's next `get` of the session. `undefined` when the session is not
   * live on this replica (never created or restored here, evicted, closed as idle, terminated, or
   * found gone by `get`). The object is frozen and never changes; a later sight is a new object.
   */
  storedMetadata(id: string): Readonly<SessionMetadata> | undefined {
    return this.#live.peek(id)?.stored;
  }

  /**
   * Creates a session: connects the backends (`makeSession`, which writes the backend metadata),
   * then binds it to `owner`, then stores it (create-if-absent, TTL `ttlMs`). A session with no
   * connected backend is still created. If storing fails, the new backend sessions are ended.
   * @throws {SessionExistsError} when `options.id` is already taken.
   * @throws {InvalidSessionInputError} when `options.client` is not a `ClientInfoRecord`, or
   *   `options.metadata` holds a key the session layer writes itself or a value that is no string.
   * @throws {StorageUnavailableError} and other storage errors, unchanged.
   */
  async create(options: CreateSessionOptions = {}): Promise<ManagedSession> {
    this.#assertOpen();
    const extra = checkExtraMetadata(options.metadata);
    const session = await this.#factory.makeSession(
      definedFields({ id: options.id, client: options.client }),
    );
    // Hijack prevention wraps the session after the factory wrote the backend metadata.
    const identity = options.owner === undefined ? {} : this.#binder.metadataFor(options.owner);
    const overlay = { ...extra, ...identity };
    const metadata = { ...session.getMetadata(), ...overlay };
    let created: boolean;
    try {
      created = await this.#storage.create({
        id: session.id,
        metadata,
        expiresAt: this.#now() + this.ttlMs,
      });
    } catch (error) {
      await session.terminate();
      throw error;
    }
    if (!created) {
      await session.terminate();
      throw new SessionExistsError(session.id);
    }
    const entry = this.#entry(session, metadata[MetadataKeyBackendIds], {
      identity: overlay,
      stored: this.#sight(metadata),
    });
    this.#live.set(session.id, entry);
    sessionInstruments().sessionsCreated.add(1);
    return entry.managed;
  }

  /**
   * The live session for `id`, or `undefined` when it is unknown, expired or terminated (HTTP 404),
   * or when its record is not a client session (`vmcp.kind` set: a backend's era verdict, a used
   * `requestState`, or a kind this version does not know; see `recordKindOf`): such a record is
   * never restored as a session and its TTL is never slid.
   * Loads the record first and checks `owner` against the stored binding; only then slides the
   * TTL (a `touch`, when due: see `ttlSlideGranularityMs`), so a refused caller never extends
   * another identity's session; then answers from the local LRU or restores the session.
   * @throws {SessionOwnerMismatchError} when the session is bound to another identity (HTTP 403).
   * @throws {SessionDecodeError} when the stored backend list is corrupt.
   * @throws {StorageUnavailableError} when the store cannot be reached.
   */
  async get(id: string, owner?: SessionOwner): Promise<ManagedSession | undefined> {
    this.#assertOpen();
    if (!isValidSessionId(id)) return undefined;
    const record = await this.#storage.load(id);
    if (record === undefined || !isSession(record)) {
      this.#live.delete(id);
      return undefined;
    }
    const sight = this.#sight(record.metadata);
    this.#binder.verify(id, record.metadata, owner);
    const now = this.#now();
    if (
      slideDue(record.expiresAt, now, this.ttlMs, this.#slideGranularityMs) &&
      !(await this.#storage.touch(id, now + this.ttlMs))
    ) {
      this.#live.delete(id); // deleted or expired since the load
      return undefined;
    }
    const cached = this.#live.get(id);
    if (cached !== undefined && (await this.#reconcile(id, cached, record))) {
      noteStored(cached, sight);
      return cached.managed;
    }
    let pending = this.#restoring.get(id);
    if (pending === undefined) {
      pending = this.#tracedRestore(record, sight).finally(() => this.#restoring.delete(id));
      this.#restoring.set(id, pending);
    }
    const entry = await pending;
    if (entry !== undefined) noteStored(entry, sight); // this get may have joined an older restore
    return entry?.managed;
  }

  /**
   * Terminates a session everywhere: deletes it from storage (every replica answers 404 from
   * then on), drops it from the local LRU and ends its backend sessions (through the live session,
   * or by reattaching to the stored ones). Resolves whether the session existed; a record that is
   * not a client session (see {@link get}) is left alone and resolves `false`.
   * @throws {SessionOwnerMismatchError} when the session is bound to another identity.
   */
  terminate(id: string, owner?: SessionOwner): Promise<boolean> {
    return this.#terminate(id, { kind: "verify", owner });
  }

  /**
   * Backend expiry: removes one backend from a session, in storage and locally. The stored
   * `vmcp.backend.ids` is rewritten and the backend's keys removed in ONE atomic update,
   * conditional on the version read and retried on conflict, so a concurrent write to any other
   * key is never lost. Other replicas drop the backend on their next `get`. No-op for an unknown
   * session or backend.
   * @throws {SessionVersionConflictError} when every retry lost a race.
   */
  async removeBackend(id: string, workloadId: string): Promise<void> {
    this.#assertOpen();
    const result = await updateBackends(this.#storage, id, { drop: [workloadId] });
    const written = this.#written(result);
    const entry = this.#live.peek(id);
    if (entry === undefined) return;
    await entry.session.dropBackend(workloadId);
    if (result.found) entry.basis = result.backendIds;
    if (written !== undefined) noteStored(entry, written);
  }

  /**
   * Closes every live session's local connections (backend sessions and stored data stay, for
   * other replicas) and refuses later calls with `SessionClosedError`. Does not close the storage:
   * whoever created it closes it, after this resolves.
   * Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#sweeper.stop();
    this.#instruments.liveCounts.delete(this.#countLive);
    await Promise.allSettled([...this.#restoring.values()]);
    const sessions = [...this.#live.values()].map((e) => e.session);
    for (const entry of this.#live.values()) entry.detached = true;
    this.#live.clear();
    await Promise.allSettled(sessions.map((s) => s.close()));
  }

  async #terminate(id: string, access: TerminateAccess): Promise<boolean> {
    this.#assertOpen();
    if (!isValidSessionId(id)) return false;
    const record = await this.#storage.load(id);
    // A record of another kind is no session: not found, and left alone.
    if (record !== undefined && !isSession(record)) return false;
    if (record !== undefined && access.kind === "verify") {
      this.#binder.verify(id, record.metadata, access.owner);
    }
    const deleted = record === undefined ? false : await this.#storage.delete(id);
    if (deleted && record !== undefined) {
      const instruments = sessionInstruments();
      instruments.sessionsTerminated.add(1);
      const protocol = readClientInfo(record.metadata)?.protocolVersion;
      instruments.serverSessionDuration.record(
        Math.max(0, this.#now() - record.createdAt) / 1000,
        definedFields({ "mcp.protocol.version": protocol }),
      );
    }
    await this.#restoring.get(id)?.catch(() => undefined);
    const entry = this.#live.peek(id);
    if (entry !== undefined) {
      entry.detached = true;
      this.#live.delete(id);
      await entry.session.terminate();
    } else if (record !== undefined) {
      await this.#factory.terminateStored(record);
    }
    return deleted;
  }

  /** Whether a cached entry still serves `record`; drops locally the backends another replica removed. */
  async #reconcile(id: string, entry: Entry, record: SessionRecord): Promise<boolean> {
    const stored = record.metadata[MetadataKeyBackendIds];
    if (stored === entry.basis) return this.#keep(entry, record);
    const storedIds = new Set(stored === undefined ? [] : this.#decodeStored(id, stored));
    const basisIds = entry.basis === undefined ? [] : safeDecode(entry.basis);
    if ([...storedIds].every((workloadId) => basisIds.includes(workloadId))) {
      for (const workloadId of basisIds) {
        if (!storedIds.has(workloadId)) await entry.session.dropBackend(workloadId);
      }
      entry.basis = stored;
      return this.#keep(entry, record);
    }
    this.#live.delete(id); // the list gained a backend: rebuild from the record
    return false;
  }

  /**
   * The stored backend list of a live session, decoded as strictly as a restore decodes it, so a
   * corrupt list is the same `SessionDecodeError` on the replica that holds the session live as on
   * one that restores it (the live copy is dropped: it no longer matches anything stored).
   */
  #decodeStored(id: string, stored: string): string[] {
    try {
      return decodeBackendIds(stored);
    } catch (error) {
      this.#live.delete(id);
      throw new SessionDecodeError(id, "its backend list is invalid", { cause: error });
    }
  }

  /** {@link #restore}, traced (see `traceRestore`). */
  #tracedRestore(record: SessionRecord, sight: StoredSight): Promise<Entry | undefined> {
    return traceRestore(
      record.id,
      () => this.#restore(record, sight),
      (entry) => entry.session,
    );
  }

  /** Restores a session from `record`, which this manager saw as `sight`. */
  async #restore(record: SessionRecord, sight: StoredSight): Promise<Entry | undefined> {
    const { session, change } = await this.#factory.restoreSession(record);
    let basis = record.metadata[MetadataKeyBackendIds];
    let stored = sight;
    if (change !== undefined) {
      const result = await updateBackends(this.#storage, record.id, change, {
        initial: record,
      }).catch(async (error: unknown) => {
        await session.close();
        throw error;
      });
      if (!result.found) {
        await session.close(); // terminated while restoring
        return undefined;
      }
      basis = result.backendIds;
      stored = this.#written(result) ?? stored;
    }
    if (this.#closed) {
      await session.close();
      throw new SessionClosedError("the session manager");
    }
    const entry = this.#entry(session, basis, { identity: {}, stored });
    const missing = missingBackends(basis, session);
    if (missing.length > 0) {
      entry.missing = new MissingBackends(this.#retryPolicy);
      for (const workloadId of missing) entry.missing.failedNow(workloadId);
    }
    this.#live.set(record.id, entry);
    return entry;
  }

  /**
   * Keeps a cached entry: first gives the stored backends it lacks (left out at restore) another
   * try once their backoff has passed, waiting at most `backendRetry.waitMs` for it.
   */
  async #keep(entry: Entry, record: SessionRecord): Promise<true> {
    entry.activity.lastUsed = performance.now();
    const missing = missingBackends(record.metadata[MetadataKeyBackendIds], entry.session);
    if (missing.length > 0 || entry.missing !== undefined) {
      entry.missing ??= new MissingBackends(this.#retryPolicy);
      await entry.missing.retry(missing, (workloadId) =>
        this.#reattachMissing(entry, record, workloadId),
      );
    }
    return true;
  }

  /** One try to bring a stored backend back into a live session, writing its new keys back. */
  async #reattachMissing(entry: Entry, record: SessionRecord, workloadId: string): Promise<void> {
    this.#assertOpen();
    const connection = await this.#factory.reattachBackend(record, workloadId);
    await entry.session.replaceBackend(connection); // closes the connection if the session closed
    const result = await updateBackends(
      this.#storage,
      record.id,
      backendEntryChange(connection, this.#factory.sizeLimits),
    );
    const written = this.#written(result);
    if (written === undefined) return;
    noteStored(entry, written);
    const listed = result.backendIds === undefined ? [] : safeDecode(result.backendIds);
    // Removed meanwhile by another replica: the removal wins.
    if (!listed.includes(workloadId)) await entry.session.dropBackend(workloadId);
    entry.basis = result.backendIds;
  }

  /**
   * Writes a backend's new session ID (and protocol, capabilities, instructions; stale instructions
   * removed) back, if it is still listed.
   */
  async #writeBack(id: string, connection: BackendConnection): Promise<void> {
    const result = await updateBackends(
      this.#storage,
      id,
      backendEntryChange(connection, this.#factory.sizeLimits),
    );
    const written = this.#written(result);
    const entry = this.#live.peek(id);
    if (entry === undefined || written === undefined) return;
    entry.basis = result.backendIds;
    noteStored(entry, written);
  }

  #entry(
    session: MultiSession,
    basis: string | undefined,
    init: { readonly identity: SessionMetadata; readonly stored: StoredSight },
  ): Entry {
    return liveEntry(session, basis, this.#host, init);
  }

  /** `metadata`, just read from or written to the store, as a sight later than every earlier one. */
  #sight(metadata: Readonly<SessionMetadata>): StoredSight {
    this.#storeAccesses += 1;
    return { metadata, seen: this.#storeAccesses };
  }

  /** The sight of what a backend update left stored; `undefined` when it found no session. */
  #written(result: BackendUpdateResult): StoredSight | undefined {
    return result.metadata === undefined ? undefined : this.#sight(result.metadata);
  }

  /** Closes (evicts) the live sessions the idle sweeper finds idle; their records stay stored. */
  #closeIdle(isIdle: (activity: SessionActivity) => boolean): void {
    const idle: string[] = [];
    for (const [id, entry] of this.#live.entries()) {
      if (isIdle(entry.activity) && !this.#restoring.has(id)) idle.push(id);
    }
    for (const id of idle) {
      const entry = this.#live.peek(id);
      if (entry !== undefined) entry.idle = true;
      this.#live.delete(id); // dispose closes the backend connections
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new SessionClosedError("the session manager");
  }
}

/** Whether a stored record is a client session (no `vmcp.kind`), not another kind of record. */
function isSession(record: SessionRecord): boolean {
  return recordKindOf(record.metadata) === "session";
}

/** Key prefixes the session layer writes itself: {@link CreateSessionOptions.metadata} may not. */
const ReservedPrefixes = ["vmcp.backend.", "vmcp.identity.", "vmcp.client."] as const;

/**
 * The extra metadata of a `create`, checked: every value a string, no key the session layer
 * writes itself.
 * @throws {InvalidSessionInputError} naming the first key refused.
 */
function checkExtraMetadata(extra: Readonly<SessionMetadata> | undefined): SessionMetadata {
  if (extra === undefined) return {};
  for (const [key, value] of Object.entries(extra)) {
    if (ReservedPrefixes.some((prefix) => key.startsWith(prefix))) {
      throw new InvalidSessionInputError(
        `metadata key ${JSON.stringify(key)} is written by the session layer itself`,
      );
    }
    if (typeof value !== "string") {
      throw new InvalidSessionInputError(`metadata value of ${JSON.stringify(key)} is no string`);
    }
  }
  return { ...extra };
}
