/**
 * `MultiSessionFactory`: connects one client session to every configured backend and writes the
 * seed's metadata. About 400 lines on purpose: make, restore and the backend change plan share
 * the connect step (parallel, bounded, partial failure tolerated) and its failure reporting.
 */
import {
  applyBackendChangePlan,
  assertValidWorkloadId,
  type BackendChange,
  planBackendChange,
} from "@vmcp/session-keys";
import type {
  BackendConnectContext,
  BackendConnection,
  BackendConnector,
  BackendReattachHint,
} from "../backends/backend-connector.js";
import type { BackendTarget } from "../backends/backend-target.js";
import { BackendConnectError, BackendSessionExpiredError } from "../backends/errors.js";
import { McpBackendConnector } from "../backends/sdk-v1/mcp-backend-connector.js";
import { SessionDecodeError } from "../storage/errors.js";
import { assertValidSessionId, generateSessionId } from "../storage/session-id.js";
import type { SessionMetadata, SessionRecord } from "../storage/session-record.js";
import { errorType, inSpan, sessionInstruments } from "../telemetry/telemetry.js";
import {
  backendEntryChange,
  populateBackendMetadata,
  readStoredBackends,
  type StoredBackend,
} from "./backend-metadata.js";
import { type ClientInfoRecord, clientInfoMetadata, readClientInfo } from "./client-info.js";
import {
  DefaultMultiSession,
  type MultiSessionLimits,
  resolveMultiSessionLimits,
} from "./multi-session.js";
import type { MultiSession } from "./session-operations.js";
import {
  checkClientInfoSize,
  checkMetadataSize,
  type ResolvedSizeLimits,
  resolveSizeLimits,
  type SessionSizeLimits,
} from "./session-size.js";
import { fitInstructions } from "./stored-instructions.js";
import type { ToolNaming } from "./tool-naming.js";

/** The default bound on one backend connect: 10,000 ms. */
export const DefaultConnectTimeoutMs = 10_000;

/** Options for {@link MultiSessionFactory}. */
export interface MultiSessionFactoryOptions {
  /** The backends every session connects to. Workload IDs are checked at construction. */
  readonly backends: readonly BackendTarget[];
  /** Opens backend connections. Default: a new `McpBackendConnector()`. */
  readonly connector?: BackendConnector;
  /**
   * Bound on each backend connect (fresh or reattach), ms.
   * @default 10_000 (10 s)
   */
  readonly connectTimeoutMs?: number;
  /** Tool and prompt name conflict rule. Default `"prefix-on-conflict"`. */
  readonly toolNaming?: ToolNaming;
  /**
   * Told about each backend that failed to connect while a session was made or restored (the
   * session goes on without it): the workload ID, the error (a `BackendConnectError` for a
   * timeout, else the connector's own error) and where it happened. Called once per backend and
   * session, synchronously, never throws into the factory (an exception it throws is ignored).
   * Default: nothing (the `vmcp.backend.connect.failures` counter still counts it).
   */
  readonly onConnectError?: (
    workloadId: string,
    error: unknown,
    failure: BackendConnectFailure,
  ) => void;
  /**
   * Bounds on each session's backend work: requests in flight and queued, list refreshes.
   * Default: the defaults of {@link MultiSessionLimits} (16 in flight, 256 queued, 1,000 ms).
   */
  readonly sessionLimits?: MultiSessionLimits;
  /**
   * Byte bounds on what a new session stores and holds (client info, metadata values, the
   * whole metadata). Default: the defaults of {@link SessionSizeLimits} (16 KiB, 16 KiB, 64 KiB).
   */
  readonly sizeLimits?: SessionSizeLimits;
}

/** Where a backend connect failed, as {@link MultiSessionFactoryOptions.onConnectError} is told. */
export interface BackendConnectFailure {
  /** `initialize`: a new session's connect; `restore`: a replica rebuilding a stored session. */
  readonly phase: "initialize" | "restore";
  /** The session being made or restored. */
  readonly sessionId: string;
}

/** Options for {@link MultiSessionFactory.makeSession}. */
export interface MakeSessionOptions {
  /** The session ID. Default: a fresh `generateSessionId()`. */
  readonly id?: string;
  /** What the client sent at `initialize`; written as `vmcp.client.*` metadata. */
  readonly client?: ClientInfoRecord;
}

/** What {@link MultiSessionFactory.restoreSession} gives back. */
export interface RestoredSession {
  /** The live session, connected to every stored backend that could be reached. */
  readonly session: MultiSession;
  /**
   * The backend change to write back to storage (with `updateBackends`: an update, never a
   * create), or `undefined` when nothing changed: `set` holds the per-backend keys of every
   * reattached backend (only those that differ from the record are written: the new backend
   * session IDs, protocol, capabilities and instructions of backends initialised afresh), `unset`
   * the instructions keys of those that have none to store, `drop` the backends
   * that are no longer configured. A stored backend that is merely unreachable stays in storage,
   * for a later restore.
   */
  readonly change: BackendChange | undefined;
}

/**
 * Makes and restores {@link MultiSession}s: connects one client session to every configured
 * backend in parallel, each connect bounded by `connectTimeoutMs`, tolerating partial failure, and
 * writes the backend metadata (see `populateBackendMetadata`) before anything wraps the session.
 */
export class MultiSessionFactory {
  /** The configured backends, in configuration order. */
  readonly backends: readonly BackendTarget[];
  /** Bound on each backend connect, ms. */
  readonly connectTimeoutMs: number;
  /** The name conflict rule of every session made. */
  readonly toolNaming: ToolNaming;
  readonly #connector: BackendConnector;
  readonly #targets = new Map<string, BackendTarget>();
  readonly #onConnectError: (
    workloadId: string,
    error: unknown,
    failure: BackendConnectFailure,
  ) => void;
  readonly #sessionLimits: MultiSessionLimits;
  /** The byte bounds of new sessions, defaults applied. */
  readonly sizeLimits: ResolvedSizeLimits;

  /**
   * @throws {InvalidWorkloadIdError} (from `@vmcp/session-keys`) for a backend whose workload ID cannot be stored.
   * @throws {RangeError} for a non-positive or non-finite `connectTimeoutMs`, or a bad limit.
   */
  constructor(options: MultiSessionFactoryOptions) {
    for (const target of options.backends) assertValidWorkloadId(target.workloadId);
    const timeout = options.connectTimeoutMs ?? DefaultConnectTimeoutMs;
    if (!Number.isFinite(timeout) || timeout <= 0) {
      throw new RangeError(
        `connectTimeoutMs must be a positive number of ms, got ${String(timeout)}`,
      );
    }
    this.backends = [...options.backends];
    this.connectTimeoutMs = timeout;
    this.toolNaming = options.toolNaming ?? "prefix-on-conflict";
    this.#connector = options.connector ?? new McpBackendConnector();
    const onConnectError = options.onConnectError;
    this.#onConnectError = (workloadId, error, failure) => {
      sessionInstruments().backendConnectFailures.add(1, {
        "vmcp.workload.id": workloadId,
        "error.type": errorType(error),
      });
      try {
        onConnectError?.(workloadId, error, failure);
      } catch {
        // An observer's failure must not fail the session it observes.
      }
    };
    this.#sessionLimits = resolveMultiSessionLimits(options.sessionLimits);
    this.sizeLimits = resolveSizeLimits(options.sizeLimits);
    // A workload ID configured twice: the last configuration is the one restores use.
    for (const target of this.backends) this.#targets.set(target.workloadId, target);
  }

  /**
   * Connects a new session to every backend in parallel. Backends that fail or time out are left
   * out (and reported to `onConnectError`). Writes `vmcp.backend.ids` and, per connected backend,
   * `vmcp.backend.session.<workloadId>` (+ protocol, capabilities and instructions keys); nothing
   * when none connect. Instructions over `maxMetadataValueBytes`, or that would take the metadata
   * over `maxMetadataBytes` (largest first), are not stored: the session is made without them.
   * @throws {InvalidSessionIdError} for a bad `options.id`.
   * @throws {InvalidSessionInputError} for `options.client` that is not a `ClientInfoRecord`
   *   (before any backend is contacted).
   * @throws {SessionTooLargeError} for client info over `maxClientInfoBytes` (before any backend
   *   is contacted), or metadata over its bounds (the new backend sessions are then ended).
   */
  async makeSession(options: MakeSessionOptions = {}): Promise<MultiSession> {
    const id = options.id === undefined ? generateSessionId() : assertValidSessionId(options.id);
    if (options.client !== undefined) checkClientInfoSize(options.client, this.sizeLimits);
    const settled = await Promise.all(
      this.backends.map((target) =>
        this.#connectBounded(target, undefined, contextOf(id, options.client)).catch(
          (error: unknown) => {
            this.#onConnectError(target.workloadId, error, { phase: "initialize", sessionId: id });
            return undefined;
          },
        ),
      ),
    );
    const connected = settled.filter((c): c is BackendConnection => c !== undefined);
    // Stable sort: for a duplicated workload ID the later configured one is written last.
    connected.sort((a, b) => compare(a.workloadId, b.workloadId));
    const metadata: SessionMetadata =
      options.client === undefined ? {} : clientInfoMetadata(options.client);
    populateBackendMetadata(metadata, connected, this.sizeLimits);
    // Instructions are stored only as far as they fit: they never make a session too large.
    fitInstructions(metadata, this.sizeLimits);
    try {
      checkMetadataSize(metadata, this.sizeLimits);
    } catch (error) {
      await Promise.allSettled(connected.map((c) => c.terminate()));
      throw error;
    }
    return new DefaultMultiSession({
      id,
      metadata,
      connections: connected,
      toolNaming: this.toolNaming,
      client: options.client,
      limits: this.#sessionLimits,
    });
  }

  /**
   * Rebuilds a live session from its stored record on a replica that does not hold it: each
   * stored backend is reattached with its stored session ID (no `initialize`); one that answers
   * 404 (`BackendSessionExpiredError`) or runs without sessions is connected afresh. All in
   * parallel, each bounded by `connectTimeoutMs`.
   * @throws {SessionDecodeError} when the stored backend list cannot be decoded.
   */
  async restoreSession(record: SessionRecord): Promise<RestoredSession> {
    let stored: StoredBackend[];
    try {
      stored = readStoredBackends(record.metadata);
    } catch (error) {
      throw new SessionDecodeError(record.id, "its backend list is invalid", { cause: error });
    }
    const dropped = stored.filter((b) => !this.#targets.has(b.workloadId)).map((b) => b.workloadId);
    const restorable = stored.filter((b) => this.#targets.has(b.workloadId));
    const results = await Promise.all(
      restorable.map((b) =>
        this.#reattach(b, contextOf(record.id, readClientInfo(record.metadata))).catch(
          (error: unknown) => {
            this.#onConnectError(b.workloadId, error, { phase: "restore", sessionId: record.id });
            return undefined;
          },
        ),
      ),
    );
    const connections = results.filter((c): c is BackendConnection => c !== undefined);

    const set: SessionMetadata = {};
    const unset: string[] = [];
    for (const connection of connections) {
      const change = backendEntryChange(connection, this.sizeLimits);
      Object.assign(set, change.set);
      unset.push(...change.unset);
    }
    const proposed: BackendChange = { drop: dropped, set, unset };
    // The record's own list was decoded above, so planning cannot fail on it.
    const plan = planBackendChange(record.metadata, proposed);
    const metadata = applyBackendChangePlan(record.metadata, plan);
    const session = new DefaultMultiSession({
      id: record.id,
      metadata,
      connections,
      toolNaming: this.toolNaming,
      client: readClientInfo(record.metadata),
      limits: this.#sessionLimits,
    });
    return { session, change: plan.changed ? proposed : undefined };
  }

  /**
   * Opens a fresh backend session (`initialize`) to one configured backend, bounded by
   * `connectTimeoutMs`: what a session uses to replace a backend session that expired.
   * `context` carries what to declare to the backend (the session's client capabilities).
   * @throws {BackendConnectError} when the backend is not configured, fails or times out.
   */
  connectBackend(workloadId: string, context?: BackendConnectContext): Promise<BackendConnection> {
    const target = this.#targets.get(workloadId);
    if (target === undefined) {
      return Promise.reject(new BackendConnectError(workloadId, "it is not configured"));
    }
    return this.#connectBounded(target, undefined, context);
  }

  /**
   * Reattaches one backend a stored record lists, as a restore would: with its stored session ID
   * (no `initialize`), or afresh when the backend answers 404 or runs without sessions; bounded
   * by `connectTimeoutMs`. What a live session uses to bring back a backend it could not reattach
   * at restore.
   * @throws {BackendConnectError} when the record does not list the backend, it is not configured, fails or times out.
   * @throws {SessionDecodeError} when the stored backend list cannot be decoded.
   */
  reattachBackend(record: SessionRecord, workloadId: string): Promise<BackendConnection> {
    let stored: StoredBackend | undefined;
    try {
      stored = readStoredBackends(record.metadata).find((b) => b.workloadId === workloadId);
    } catch (error) {
      return Promise.reject(
        new SessionDecodeError(record.id, "its backend list is invalid", { cause: error }),
      );
    }
    if (stored === undefined) {
      return Promise.reject(new BackendConnectError(workloadId, "the session does not list it"));
    }
    return this.#reattach(stored, contextOf(record.id, readClientInfo(record.metadata)));
  }

  /**
   * Ends the backend sessions a stored record names, without a live session: reattaches to each
   * (no `initialize`) and terminates it. Backends that are gone, unreachable or run without
   * sessions are skipped; never throws for them.
   */
  async terminateStored(record: SessionRecord): Promise<void> {
    let stored: StoredBackend[];
    try {
      stored = readStoredBackends(record.metadata);
    } catch {
      return;
    }
    await Promise.allSettled(
      stored.map(async (b) => {
        const target = this.#targets.get(b.workloadId);
        if (target === undefined || b.hint === undefined) return;
        const connection = await this.#connectBounded(target, b.hint);
        await connection.terminate();
      }),
    );
  }

  async #reattach(
    stored: StoredBackend,
    context: BackendConnectContext | undefined,
  ): Promise<BackendConnection> {
    const target = this.#targets.get(stored.workloadId);
    if (target === undefined)
      throw new BackendConnectError(stored.workloadId, "it is not configured");
    if (stored.hint === undefined) return this.#connectBounded(target, undefined, context);
    try {
      return await this.#connectBounded(target, stored.hint, context);
    } catch (error) {
      if (!(error instanceof BackendSessionExpiredError)) throw error;
      return this.#connectBounded(target, undefined, context);
    }
  }

  /**
   * Connects with an abort signal that fires after `connectTimeoutMs`, and also stops waiting
   * then even if the connector ignores the signal (a late connection is closed).
   */
  #connectBounded(
    target: BackendTarget,
    hint: BackendReattachHint | undefined,
    context?: BackendConnectContext,
  ): Promise<BackendConnection> {
    const attributes = {
      "vmcp.workload.id": target.workloadId,
      "vmcp.backend.reattach": hint !== undefined,
    };
    // The connect's span is the active context of its HTTP requests (initialize included).
    return inSpan("vmcp.backend.connect", attributes, () =>
      this.#connectWithin(target, hint, context),
    );
  }

  #connectWithin(
    target: BackendTarget,
    hint: BackendReattachHint | undefined,
    context?: BackendConnectContext,
  ): Promise<BackendConnection> {
    const controller = new AbortController();
    return new Promise<BackendConnection>((resolve, reject) => {
      let done = false;
      const timer = setTimeout(() => {
        done = true;
        const reason = new DOMException("connect timed out", "TimeoutError");
        controller.abort(reason);
        reject(
          new BackendConnectError(
            target.workloadId,
            `connect timed out after ${this.connectTimeoutMs} ms`,
            { cause: reason },
          ),
        );
      }, this.connectTimeoutMs);
      let attempt: Promise<BackendConnection>;
      try {
        attempt = this.#connector.connect(target, hint, controller.signal, context);
      } catch (error) {
        attempt = Promise.reject(error);
      }
      attempt.then(
        (connection) => {
          clearTimeout(timer);
          if (done) void connection.close();
          else resolve(connection);
        },
        (error: unknown) => {
          clearTimeout(timer);
          if (!done) reject(error);
        },
      );
    });
  }
}

/** What to declare to backends for `client` (its capabilities and info, none when unknown), and the session. */
function contextOf(sessionId: string, client: ClientInfoRecord | undefined): BackendConnectContext {
  return client === undefined
    ? { sessionId }
    : { sessionId, clientCapabilities: client.capabilities, clientInfo: client.clientInfo };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
