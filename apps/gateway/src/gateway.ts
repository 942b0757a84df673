import {
  type BackendTarget,
  instrumentBus,
  instrumentStorage,
  McpBackendConnector,
  MultiSessionFactory,
  SessionManager,
  type SessionMessageBus,
  type SessionStorage,
} from "@vmcp/session-core";
import { BackendFailureLog } from "./backend-failure-log.js";
import type { BackendConfig, GatewayConfig } from "./config/gateway-config.js";
import { CursorCodec } from "./http/cursor.js";
import { startHttpServer } from "./http/gateway-server.js";
import { McpEndpoint } from "./http/mcp-endpoint.js";
import { CallerLimits, loopbackCallersFor } from "./http/request-limits.js";
import { RequestRouter } from "./http/router.js";
import { SessionRelay } from "./http/session-relay.js";
import { TransportRules } from "./http/transport-rules.js";
import { createVerifier } from "./identity/create-verifier.js";
import type { GatewayLogger } from "./logger.js";
import { createModernPath } from "./modern/modern-path.js";
import type { RequestStatePort } from "./modern/request-state-port.js";
import { createMessageBus } from "./store/create-message-bus.js";
import { createStorage, describeStore, storeRefusal } from "./store/create-storage.js";
import { probeStoreAtStart, type StoreProbe } from "./store/store-probe.js";
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
   * closes the store. Idempotent.
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
   * `input_required`. Default: none, and such an answer is a -32603 error
   * (`VMCP_REQUEST_STATE_UNAVAILABLE`) until the gateway's own sealing is configured.
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
        ...(backend.headers === undefined ? {} : { headers: backend.headers }),
      },
    };
  }
  return {
    workloadId: backend.workloadId,
    transport: {
      kind: "stdio",
      command: backend.command,
      ...(backend.args === undefined ? {} : { args: backend.args }),
      ...(backend.env === undefined ? {} : { env: backend.env }),
      ...(backend.cwd === undefined ? {} : { cwd: backend.cwd }),
    },
  };
}

/**
 * Starts a gateway from a validated configuration: the store, the identity verifier, the
 * session factory and manager, and the HTTP server. The store is pinged once before the server
 * listens: an unreachable store is a `warn` line (the gateway starts, `/readyz` answers 503 until
 * the store is back; see `probeStoreAtStart`).
 * @throws {GatewayConfigError} for configuration only detectable at start (e.g. a JWKS file, a
 *   Redis database index the server lacks).
 */
export async function startGateway(
  config: GatewayConfig,
  log: GatewayLogger,
  options: StartGatewayOptions = {},
): Promise<RunningGateway> {
  const verifier = await createVerifier(config.identity, { maxTokenBytes: config.maxTokenBytes });
  // Registered before anything makes instruments (the session manager's live-session count).
  const telemetry = startTelemetry({
    tracing: config.tracing,
    metrics: config.metrics,
    ...options.telemetry,
  });
  const ownsStorage = options.storage === undefined;
  // Every store's operations are observed here, once: the manager and the router share it.
  const storage = instrumentStorage(options.storage ?? (await createStorage(config.store)));
  let probe: StoreProbe;
  try {
    probe = await probeStoreAtStart(storage, {
      log,
      label: describeStore(config.store),
      refusal: (error) => storeRefusal(config.store, error),
    });
  } catch (error) {
    if (ownsStorage) await storage.close().catch(() => undefined);
    await telemetry?.shutdown().catch(() => undefined);
    throw error;
  }
  const ownsBus = options.bus === undefined;
  const bus = instrumentBus(options.bus ?? (await createMessageBus(config.store)));
  let router: RequestRouter | undefined;
  const relay = new SessionRelay({
    bus,
    log,
    serverRequestTimeoutMs: config.limits.serverRequestTimeoutMs,
    answerAckTimeoutMs: config.limits.answerAckTimeoutMs,
    maxPendingServerRequests: config.limits.maxPendingServerRequests,
    heartbeatMs: config.limits.streamHeartbeatMs,
    maxStreamBufferBytes: config.limits.maxStreamBufferBytes,
    onListChanged: (session, kind) => router?.forgetList(session, kind),
  });
  // Each line a stdio backend writes to stderr becomes one log record naming the backend.
  const connector = new McpBackendConnector({
    onStderrLine: (workloadId, line) => log.info({ workloadId, stderr: line }, "backend stderr"),
    stdioStopGraceMs: config.stdioStopGraceMs,
    messages: relay,
  });
  const connectFailures = new BackendFailureLog(
    log,
    config.backends,
    config.backendFailureLogIntervalMs,
  );
  const factory = new MultiSessionFactory({
    backends: config.backends.map(backendTarget),
    connectTimeoutMs: config.connectTimeoutMs,
    connector,
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
  });
  const manager = new SessionManager({
    storage,
    factory,
    ttlMs: config.sessionTtlMs,
    maxLiveSessions: config.maxLiveSessions,
    idleTimeoutMs: config.idleTimeoutMs,
    backendRetry: {
      initialDelayMs: config.backendRetryInitialDelayMs,
      maxDelayMs: config.backendRetryMaxDelayMs,
      waitMs: config.backendRetryWaitMs,
    },
    ...(config.bindingSecret === undefined ? {} : { bindingSecret: config.bindingSecret }),
  });
  const cursors = new CursorCodec(config.bindingSecret);
  router = new RequestRouter({
    cursors,
    storage,
    naming: factory.toolNaming,
    listRefreshIntervalMs: config.limits.listRefreshIntervalMs,
  });
  const modern = createModernPath({
    config: config.modern,
    backends: config.backends,
    storage,
    cursors,
    naming: factory.toolNaming,
    listRefreshIntervalMs: config.limits.listRefreshIntervalMs,
    probeTimeoutMs: config.connectTimeoutMs,
    maxBodyBytes: config.maxBodyBytes,
    perCaller: verifier.kind !== "none",
    ...(config.bindingSecret === undefined ? {} : { bindingSecret: config.bindingSecret }),
    ...(options.requestState === undefined ? {} : { requestState: options.requestState }),
    log,
  });
  const endpoint = new McpEndpoint({
    modern: modern.endpoint,
    router,
    relay,
    sessions: manager,
    verifier,
    log,
    maxBodyBytes: config.maxBodyBytes,
    bodyTimeoutMs: config.bodyTimeoutMs,
    maxJsonDepth: config.maxJsonDepth,
    storeLabel: describeStore(config.store),
    transportRules: new TransportRules({
      listenHost: config.host,
      ...(config.allowedHosts === undefined ? {} : { allowedHosts: config.allowedHosts }),
      ...(config.allowedOrigins === undefined ? {} : { allowedOrigins: config.allowedOrigins }),
    }),
    limits: {
      maxBatchLength: config.limits.maxBatchLength,
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
  let http: Awaited<ReturnType<typeof startHttpServer>>;
  try {
    http = await startHttpServer({
      host: config.host,
      port: config.port,
      endpoint,
      storage,
      log,
      headersTimeoutMs: config.headersTimeoutMs,
      bodyTimeoutMs: config.bodyTimeoutMs,
      maxHeaderBytes: config.maxHeaderBytes,
      ...(telemetry?.metricsHandler === undefined ? {} : { metrics: telemetry.metricsHandler }),
    });
  } catch (error) {
    probe.stop();
    await manager.close().catch(() => undefined);
    await connector.close().catch(() => undefined);
    await relay.close();
    if (ownsBus) await bus.close().catch(() => undefined);
    if (ownsStorage) await storage.close().catch(() => undefined);
    await telemetry?.shutdown().catch(() => undefined);
    throw error;
  }
  log.info(
    {
      url: `${http.url}/mcp`,
      store: describeStore(config.store),
      backends: config.backends.map((b) => b.workloadId),
      identity: verifier.kind,
      tracing: config.tracing,
      metrics: config.metrics,
    },
    "gateway listening",
  );
  let closing: Promise<void> | undefined;
  return {
    url: http.url,
    storage,
    close: () => {
      closing ??= (async () => {
        // An open GET stream is no request in flight: counted apart.
        const streams = relay.openStreams();
        log.info({ inFlight: http.inFlight() - streams, streams }, "shutting down");
        probe.stop();
        // GET streams never finish on their own: end them so they do not hold the drain up.
        relay.endStreams();
        await http.close(config.shutdownTimeoutMs);
        await modern.endpoint.close().catch(() => undefined);
        await relay.close();
        await manager
          .close()
          .catch((error: unknown) => log.error({ err: error }, "closing sessions failed"));
        // Stops the stdio processes nothing closed (connects that finished late) and waits.
        await connector.close();
        if (ownsBus) await bus.close().catch(() => undefined);
        if (ownsStorage) {
          await storage
            .close()
            .catch((error: unknown) => log.error({ err: error }, "closing the store failed"));
        }
        await telemetry
          ?.shutdown()
          .catch((error: unknown) => log.error({ err: error }, "stopping telemetry failed"));
        log.info("shut down");
      })();
      return closing;
    },
    killBackendProcesses: () => connector.killStdioProcesses(),
  };
}
