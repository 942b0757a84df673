/**
 * The gateway's composition root: `startGateway` builds every part from the configuration, in
 * named steps, and hands each the parts it needs. About 400 lines on purpose: one small function
 * per part (store, relay, session layer, router, 2026-07-28 path, endpoint), so that what the
 * gateway is made of reads in one place; each part's logic lives in its own room.
 */
import {
  type BackendMessageHandler,
  type BackendTarget,
  instrumentBus,
  instrumentStorage,
  McpBackendConnector,
  MultiSessionFactory,
  type MultiSessionFactoryOptions,
  SessionManager,
  type SessionManagerOptions,
  type SessionMessageBus,
  type SessionStorage,
} from "@vmcp/session-core";
import { MetadataKeyLoggingLevel } from "@vmcp/session-keys";
import { BackendFailureLog } from "./backend-failure-log.js";
import type { BackendConfig, GatewayConfig } from "./config/gateway-config.js";
import { GatewayTeardown } from "./gateway-teardown.js";
import { BackendChangeFeed, holdWhileWatched } from "./http/change-events/backend-change-feed.js";
import { ResourceUpdateFeed } from "./http/change-events/resource-update-feed.js";
import { type RunningHttpServer, startHttpServer } from "./http/endpoint/gateway-server.js";
import { McpEndpoint } from "./http/endpoint/mcp-endpoint.js";
import { ModernRequestSlots } from "./http/guards/modern-request-slots.js";
import { CallerLimits, loopbackCallersFor } from "./http/guards/request-limits.js";
import { TransportRules } from "./http/guards/transport-rules.js";
import type { ListKind } from "./http/mcp-2025-11-25/relay/served-sessions.js";
import { SessionRelay } from "./http/mcp-2025-11-25/relay/session-relay.js";
import type { BackendVerdict } from "./http/mcp-2026-07-28/backends/verdict-record.js";
import { createModernPath, type ModernPath } from "./http/mcp-2026-07-28/modern-path.js";
import type { PoolParts } from "./http/mcp-2026-07-28/pool/create-pool.js";
import {
  dispatchBackendMessages,
  PooledMessages,
} from "./http/mcp-2026-07-28/pool/pooled-messages.js";
import type { RequestStatePort } from "./http/mcp-2026-07-28/request-state/request-state-port.js";
import { SealedRequestStates } from "./http/mcp-2026-07-28/request-state/sealed-request-states.js";
import { CursorCodec } from "./http/routing/cursor.js";
import { RequestRouter } from "./http/routing/router.js";
import type { ServedSession } from "./http/routing/session-service.js";
import { type StoredMetadataReader, storedMetadataReader } from "./http/routing/stored-metadata.js";
import {
  type BackendEras,
  EraAwareConnector,
} from "./http/stateless-backends/era-aware-connector.js";
import { createVerifier } from "./identity/create-verifier.js";
import type { IdentityVerifier } from "./identity/identity-verifier.js";
import { ifDefined } from "./if-defined.js";
import type { GatewayLogger } from "./logger.js";
import { createMessageBus } from "./store/create-message-bus.js";
import { createStorage, describeStore, storeRefusal } from "./store/create-storage.js";
import { openServerEvents } from "./store/server-events.js";
import { probeStoreAtStart } from "./store/store-probe.js";
import { startTelemetry, type TelemetryOptions } from "./telemetry/start-telemetry.js";

/** A running gateway. */
export interface RunningGateway {
  /** Base URL; the MCP endpoint is `${url}/mcp`. */
  readonly url: string;
  /** The session store in use. */
  readonly storage: SessionStorage;
  /**
   * Graceful shutdown: stops accepting requests, lets requests in flight finish (up to
   * `shutdownTimeoutMs`), closes the local backend connections (backend sessions live on for
   * other replicas), stops the stdio backend processes and waits until they are gone, then
   * closes the store. A step that fails is logged and the rest still run. Idempotent.
   */
  close(): Promise<void>;
  /**
   * Sends SIGKILL to every stdio backend process still running, synchronously: for a process
   * that must exit at once (a second signal, an `exit` handler) without a graceful `close()`.
   */
  killBackendProcesses(): void;
}

/** What {@link startGateway} may be given besides the configuration. */
export interface StartGatewayOptions {
  /**
   * Span processors and metric readers for the OpenTelemetry SDK the gateway registers when
   * `tracing` or `metrics` is on (tests pass in-memory ones); default: those `OTEL_*` choose.
   */
  readonly telemetry?: Pick<TelemetryOptions, "spanProcessors" | "metricReaders">;
  /**
   * The session message bus that carries the client's answers, cancellations and GET-stream
   * notifications between replicas. Default: the bus of the configured store (in-process for
   * `memory`, Redis pub/sub for `redis`), closed with the gateway; a bus given here is left open
   * for its owner to close.
   */
  readonly bus?: SessionMessageBus;
  /**
   * The session store, instead of the one `config.store` describes (e.g. one in-process store
   * shared by two gateways in a test). Left open for its owner to close.
   */
  readonly storage?: SessionStorage;
  /**
   * Seals the `requestState` the gateway hands MCP 2026-07-28 clients when a backend answers
   * `input_required`. Default: `SealedRequestStates` over the gateway's store, keyed by the
   * binding secret (every replica must share it, as for sessions with owners), single-use in the
   * store.
   */
  readonly requestState?: RequestStatePort;
}

/** The session-core backend target of a configured backend. */
export function backendTarget(backend: BackendConfig): BackendTarget {
  if ("url" in backend) {
    return {
      workloadId: backend.workloadId,
      transport: {
        kind: "streamable-http",
        url: backend.url,
        ...ifDefined("headers", backend.headers),
      },
    };
  }
  return {
    workloadId: backend.workloadId,
    transport: {
      kind: "stdio",
      command: backend.command,
      ...ifDefined("args", backend.args),
      ...ifDefined("env", backend.env),
      ...ifDefined("cwd", backend.cwd),
    },
  };
}

/**
 * Starts a gateway from a validated configuration, in named steps: the identity verifier,
 * telemetry, the store (pinged once before the server listens: an unreachable store is a `warn`
 * line, the gateway starts and `/readyz` answers 503 until the store is back; see
 * `probeStoreAtStart`) and its message bus, the session relay, the session layer (backend
 * connector, session factory and manager), the router, the `/mcp` endpoint and the HTTP server.
 * If a step fails, what started before it is stopped (the same teardown as `close()`), and the
 * error is thrown.
 * @throws {GatewayConfigError} for configuration only detectable at start (e.g. a JWKS file, a
 *   Redis database index the server lacks).
 */
export async function startGateway(
  config: GatewayConfig,
  log: GatewayLogger,
  options: StartGatewayOptions = {},
): Promise<RunningGateway> {
  const verifier = await createVerifier(config.identity, { maxTokenBytes: config.maxTokenBytes });
  const teardown = new GatewayTeardown(log, config.shutdownTimeoutMs);
  try {
    // Registered before anything makes instruments (the session manager's live-session count).
    const telemetry = startTelemetry({
      tracing: config.tracing,
      metrics: config.metrics,
      ...options.telemetry,
    });
    teardown.telemetry = telemetry;
    const { storage, bus } = await openStore(config, options, teardown, log);
    // The relay tells the router of list changes; the router is made once the factory is.
    let router: RequestRouter | undefined;
    const relay = newRelay(config, bus, log, (session, kind) => router?.forgetList(session, kind));
    teardown.relay = relay;
    // 2025-era sessions reach modern backends by the modern path's verdicts, made further down.
    let verdicts: ModernPath["verdicts"] | undefined;
    const eras: BackendEras<BackendVerdict> = {
      verdict: (workloadId) => verdicts?.verdict(workloadId),
      reprobe: async (workloadId, failed) => verdicts?.reprobe(workloadId, failed),
      pinnedEra: (workloadId) => verdicts?.pinnedEra(workloadId),
    };
    // The modern path (its listen fan-in and event bus) is made further down.
    let modern: ModernPath | undefined;
    // What backends send goes to the 2025 relay, or for a pooled backend session to its caller;
    // a pooled session's backend's change goes to every replica's listen streams.
    const pooledMessages = new PooledMessages((workloadId, event) =>
      modern?.changes.seen(workloadId, event),
    );
    // So does a 2025-era backend's change on a 2025 client session (a modern backend's reaches
    // every replica on its own listen).
    const messages = dispatchBackendMessages(pooledMessages, relay, async (workloadId) => {
      if (!config.backends.some((b) => b.workloadId === workloadId && "url" in b)) return true;
      return (await eras.verdict(workloadId))?.kind !== "modern";
    });
    // A modern backend's changes reach the 2025-era sessions that reach it statelessly: the
    // replica listens to the backends while such a session's connection is open here.
    const changes = new BackendChangeFeed({
      onInterest: holdWhileWatched(
        async () => (modern === undefined ? () => undefined : modern.fanIn.hold()),
        (error) => log.warn({ err: error }, "backend listens not opened for 2025-era sessions"),
      ),
      onError: (error, workloadId) =>
        log.warn({ err: error, workloadId }, "a backend change was not relayed to a session"),
    });
    // A 2025-era session's resources/subscribe to a modern backend: the replica's listen on the
    // backend follows the URI (with the listen streams' URIs), and its updates reach the session.
    const updates = new ResourceUpdateFeed({
      open: async (uris) => (modern === undefined ? { kind: "limit" } : modern.fanIn.follow(uris)),
      onError: (error, workloadId) =>
        log.warn({ err: error, workloadId }, "a resource update was not relayed to a session"),
    });
    const layer = newSessionLayer(config, storage, { messages, changes, updates }, eras, log);
    const { connector, factory, manager } = layer;
    teardown.connector = connector;
    teardown.manager = manager;
    // One cursor codec for both eras' lists, so a cursor holds on every replica.
    const cursors = new CursorCodec(config.bindingSecret);
    router = newRouter(config, storage, layer, cursors);
    const pool: PoolParts = {
      connector,
      targets: factory.backends,
      messages: pooledMessages,
      factory: layer.factoryOptions,
      manager: layer.managerOptions,
    };
    modern = newModernPath(config, options, {
      storage,
      factory,
      cursors,
      verifier,
      pool,
      bus,
      changes,
      updates,
      log,
    });
    verdicts = modern.verdicts;
    teardown.modern = modern;
    teardown.pool = modern.pool;
    // Retries of calls parked here reach this replica over the bus from now on.
    await modern.start();
    // The listen streams' shared events ride the gateway's bus (closed before it, never by it).
    teardown.serverEvents = await openServerEvents({
      bus,
      attach: (events) => modern?.events.attach(events),
      log,
    });
    const endpoint = newEndpoint(config, {
      router,
      relay,
      manager,
      verifier,
      log,
      modern: modern.endpoint,
    });
    const http = await startHttpServer({
      host: config.host,
      port: config.port,
      endpoint,
      storage,
      log,
      headersTimeoutMs: config.headersTimeoutMs,
      bodyTimeoutMs: config.bodyTimeoutMs,
      maxHeaderBytes: config.maxHeaderBytes,
      ...ifDefined("metrics", telemetry?.metricsHandler),
    });
    teardown.http = http;
    logListening(config, log, http.url, verifier.kind);
    return running(teardown, { http, storage, relay, connector, log });
  } catch (error) {
    await teardown.run();
    throw error;
  }
}

/**
 * The session store and its message bus: the ones given (left open for their owner) or the
 * ones `config.store` describes (closed with the gateway), each instrumented once here.
 */
async function openStore(
  config: GatewayConfig,
  options: StartGatewayOptions,
  teardown: GatewayTeardown,
  log: GatewayLogger,
): Promise<{ storage: SessionStorage; bus: SessionMessageBus }> {
  // Every store's operations are observed here, once: the manager and the router share it.
  const storage = instrumentStorage(options.storage ?? (await createStorage(config.store)));
  if (options.storage === undefined) teardown.storage = storage;
  teardown.probe = await probeStoreAtStart(storage, {
    log,
    label: describeStore(config.store),
    refusal: (error) => storeRefusal(config.store, error),
  });
  const bus = instrumentBus(options.bus ?? (await createMessageBus(config.store)));
  if (options.bus === undefined) teardown.bus = bus;
  return { storage, bus };
}

/** The session relay: what backends send on their own, and the client's answers, across replicas. */
function newRelay(
  config: GatewayConfig,
  bus: SessionMessageBus,
  log: GatewayLogger,
  onListChanged: (session: ServedSession, kind: ListKind) => void,
): SessionRelay {
  return new SessionRelay({
    bus,
    log,
    serverRequestTimeoutMs: config.limits.serverRequestTimeoutMs,
    answerAckTimeoutMs: config.limits.answerAckTimeoutMs,
    maxPendingServerRequests: config.limits.maxPendingServerRequests,
    heartbeatMs: config.limits.streamHeartbeatMs,
    maxStreamBufferBytes: config.limits.maxStreamBufferBytes,
    onListChanged,
  });
}

/** The session layer: the backend connector, the session factory and the session manager. */
interface SessionLayer {
  /** The SDK v1 connector (2025-era and stdio backends; its stdio processes stop with the gateway). */
  readonly connector: McpBackendConnector;
  readonly factory: MultiSessionFactory;
  readonly manager: SessionManager;
  /** The factory's options but its backends and connector (pooled backend sessions share them). */
  readonly factoryOptions: Omit<MultiSessionFactoryOptions, "backends" | "connector">;
  /** The manager's idle timeout and backend retry (pooled backend sessions share them). */
  readonly managerOptions: Pick<SessionManagerOptions, "idleTimeoutMs" | "backendRetry">;
  /** A client session's stored metadata: the manager's last load while it is live here. */
  readonly stored: StoredMetadataReader;
}

/**
 * The session layer: the backend connector, the session factory and the session manager. A
 * 2025-era client session reaches a 2026-07-28 backend (by its era in `eras`) statelessly, its
 * `input_required` rounds answered by the client through `messages`, and its list changes, as the
 * replica's listen sees them (`changes`), relayed as the backend's `list_changed` (see
 * `EraAwareConnector`).
 */
function newSessionLayer(
  config: GatewayConfig,
  storage: SessionStorage,
  {
    messages,
    changes,
    updates,
  }: { messages: BackendMessageHandler; changes: BackendChangeFeed; updates: ResourceUpdateFeed },
  eras: BackendEras<BackendVerdict>,
  log: GatewayLogger,
): SessionLayer {
  // Each line a stdio backend writes to stderr becomes one log record naming the backend.
  const connector = new McpBackendConnector({
    onStderrLine: (workloadId, line) => log.info({ workloadId, stderr: line }, "backend stderr"),
    stdioStopGraceMs: config.stdioStopGraceMs,
    messages,
  });
  const connectFailures = new BackendFailureLog(
    log,
    config.backends,
    config.backendFailureLogIntervalMs,
  );
  const factoryOptions: SessionLayer["factoryOptions"] = {
    connectTimeoutMs: config.connectTimeoutMs,
    onConnectError: (workloadId, error, failure) =>
      connectFailures.record(workloadId, error, failure),
    sessionLimits: {
      maxConcurrentRequests: config.limits.maxConcurrentBackendRequests,
      maxQueuedRequests: config.limits.maxQueuedBackendRequests,
      listRefreshIntervalMs: config.limits.listRefreshIntervalMs,
    },
    sizeLimits: {
      maxClientInfoBytes: config.limits.maxClientInfoBytes,
      maxMetadataValueBytes: config.limits.maxMetadataValueBytes,
      maxMetadataBytes: config.limits.maxMetadataBytes,
    },
  };
  const factory = new MultiSessionFactory({
    ...factoryOptions,
    backends: config.backends.map(backendTarget),
    connector: new EraAwareConnector({
      inner: connector,
      eras,
      messages,
      changes,
      updates,
      // The level a client set on any replica, from its record (2026-07-28 has no setLevel): the
      // record the request's `get` loaded, with no second store read while the session is live.
      logLevelOf: async (sessionId) => (await stored(sessionId))?.[MetadataKeyLoggingLevel],
      callTimeoutMs: config.modern.callTimeoutMs,
      maxInputRounds: config.limits.maxInputRounds,
    }),
  });
  const managerOptions: SessionLayer["managerOptions"] = {
    idleTimeoutMs: config.idleTimeoutMs,
    backendRetry: {
      initialDelayMs: config.backendRetryInitialDelayMs,
      maxDelayMs: config.backendRetryMaxDelayMs,
      waitMs: config.backendRetryWaitMs,
    },
  };
  const manager = new SessionManager({
    ...managerOptions,
    storage,
    factory,
    ttlMs: config.sessionTtlMs,
    maxLiveSessions: config.maxLiveSessions,
    ...ifDefined("bindingSecret", config.bindingSecret),
  });
  const stored = storedMetadataReader(manager, storage);
  return { connector, factory, manager, factoryOptions, managerOptions, stored };
}

/**
 * The router, with cursors every replica sharing the binding secret accepts, reading what other
 * replicas stored for a session through the session layer (no store read for a live session).
 */
function newRouter(
  config: GatewayConfig,
  storage: SessionStorage,
  { factory, stored }: Pick<SessionLayer, "factory" | "stored">,
  cursors: CursorCodec,
): RequestRouter {
  return new RequestRouter({
    cursors,
    storage,
    storedMetadata: stored,
    naming: factory.toolNaming,
    listRefreshIntervalMs: config.limits.listRefreshIntervalMs,
  });
}

/**
 * The MCP 2026-07-28 path: backend era verdicts in the store, the aggregated lists and the relay
 * to modern backends, with the gateway's own sealed `requestState` for `input_required` rounds,
 * and the pooled backend sessions through which its clients reach 2025-era and stdio backends.
 */
function newModernPath(
  config: GatewayConfig,
  options: StartGatewayOptions,
  parts: {
    storage: SessionStorage;
    factory: MultiSessionFactory;
    cursors: CursorCodec;
    verifier: IdentityVerifier;
    pool: PoolParts;
    bus: SessionMessageBus;
    changes: BackendChangeFeed;
    updates: ResourceUpdateFeed;
    log: GatewayLogger;
  },
): ModernPath {
  const { storage } = parts;
  return createModernPath({
    config: config.modern,
    backends: config.backends,
    storage,
    cursors: parts.cursors,
    naming: parts.factory.toolNaming,
    listRefreshIntervalMs: config.limits.listRefreshIntervalMs,
    probeTimeoutMs: config.connectTimeoutMs,
    backendRetry: {
      initialDelayMs: config.backendRetryInitialDelayMs,
      maxDelayMs: config.backendRetryMaxDelayMs,
    },
    maxBodyBytes: config.maxBodyBytes,
    perCaller: parts.verifier.kind !== "none",
    ...ifDefined("bindingSecret", config.bindingSecret),
    requestState:
      options.requestState ??
      new SealedRequestStates({ storage, ...ifDefined("secret", config.bindingSecret) }),
    pool: parts.pool,
    bus: parts.bus,
    onBackendChange: (workloadId, list) => parts.changes.emit(workloadId, list),
    onResourceUpdated: (workloadId, uri) => parts.updates.emit(workloadId, uri),
    log: parts.log,
  });
}

/** The `/mcp` endpoint with the configured transport rules and limits. */
function newEndpoint(
  config: GatewayConfig,
  parts: {
    router: RequestRouter;
    relay: SessionRelay;
    manager: SessionManager;
    verifier: IdentityVerifier;
    log: GatewayLogger;
    modern: ModernPath["endpoint"];
  },
): McpEndpoint {
  const { manager } = parts;
  return new McpEndpoint({
    modern: parts.modern,
    router: parts.router,
    relay: parts.relay,
    sessions: manager,
    verifier: parts.verifier,
    log: parts.log,
    maxBodyBytes: config.maxBodyBytes,
    bodyTimeoutMs: config.bodyTimeoutMs,
    maxJsonDepth: config.maxJsonDepth,
    storeLabel: describeStore(config.store),
    transportRules: new TransportRules({
      listenHost: config.host,
      ...ifDefined("allowedHosts", config.allowedHosts),
      ...ifDefined("allowedOrigins", config.allowedOrigins),
    }),
    limits: {
      maxBatchLength: config.limits.maxBatchLength,
      modernRequests: new ModernRequestSlots(config.limits.maxModernRequestsPerCaller),
      callers: new CallerLimits({
        maxSessionsPerCaller: config.limits.maxSessionsPerCaller,
        initializePerMinute: config.limits.initializePerMinute,
        initializeBurst: config.limits.initializeBurst,
        isLive: (id) => manager.isLive(id),
        sessionTtlMs: config.sessionTtlMs,
        loopbackCallers: loopbackCallersFor(config.limits.loopbackCallers, config.host),
      }),
    },
  });
}

function logListening(
  config: GatewayConfig,
  log: GatewayLogger,
  url: string,
  identity: string,
): void {
  log.info(
    {
      url: `${url}/mcp`,
      store: describeStore(config.store),
      backends: config.backends.map((b) => b.workloadId),
      identity,
      tracing: config.tracing,
      metrics: config.metrics,
    },
    "gateway listening",
  );
}

/** The running gateway's handle: its URL, its store, one idempotent close and the emergency kill. */
function running(
  teardown: GatewayTeardown,
  parts: {
    http: RunningHttpServer;
    storage: SessionStorage;
    relay: SessionRelay;
    connector: McpBackendConnector;
    log: GatewayLogger;
  },
): RunningGateway {
  const { http, relay, log } = parts;
  let closing: Promise<void> | undefined;
  return {
    url: http.url,
    storage: parts.storage,
    close: () => {
      closing ??= (async () => {
        // An open GET stream is no request in flight: counted apart.
        const streams = relay.openStreams();
        log.info({ inFlight: http.inFlight() - streams, streams }, "shutting down");
        await teardown.run();
        log.info("shut down");
      })();
      return closing;
    },
    killBackendProcesses: () => parts.connector.killStdioProcesses(),
  };
}
