import {
  createNodeHttpFetch,
  type SessionMessageBus,
  type SessionOwner,
  type SessionStorage,
  type ToolNaming,
} from "@vmcp/session-core";
import type { GatewayLogger } from "../../logger.js";
import type { ChangedList } from "../change-events/backend-change-feed.js";
import type { CursorCodec } from "../routing/cursor.js";
import { BackendVerdicts } from "./backends/backend-verdicts.js";
import { type EraProbe, probeEra } from "./backends/era-probe.js";
import { ModernBackends } from "./backends/modern-backends.js";
import { discoverPinned } from "./backends/pinned-discover.js";
import { CoalescedChanges } from "./listen/coalesced-changes.js";
import { ListenFanIn } from "./listen/listen-fan-in.js";
import { ReplicaEventBus } from "./listen/replica-event-bus.js";
import { ListAggregator } from "./lists/aggregate-list.js";
import { ModernListCursors } from "./lists/list-cursor.js";
import { RouteTables } from "./lists/route-tables.js";
import { ModernEndpoint } from "./modern-endpoint.js";
import type { ConfiguredBackend, ModernSettings } from "./modern-settings.js";
import { ParkedCallRecords } from "./parked/parked-call-record.js";
import { ParkedCallRouter } from "./parked/parked-call-router.js";
import { ParkedCalls } from "./parked/parked-calls.js";
import { createPool, type Pool, type PoolParts } from "./pool/create-pool.js";
import { RefusalStatuses } from "./refusal-statuses.js";
import { CallFailures } from "./relay/call-failures.js";
import { ModernRelay } from "./relay/modern-relay.js";
import { TaskRelay } from "./relay/task-relay.js";
import type { RequestStatePort } from "./request-state/request-state-port.js";
import { createServerFactory } from "./server-factory.js";
import { TaskRoutes } from "./tasks/task-routes.js";

/** What the modern path is built from (the gateway's parts and configuration). */
export interface ModernPathOptions {
  readonly config: ModernSettings;
  /** Every configured backend. */
  readonly backends: readonly ConfiguredBackend[];
  /** The configured store: backend era verdicts and task routes live there. */
  readonly storage: SessionStorage;
  /** The gateway's list cursors (shared with the 2025 path). */
  readonly cursors: CursorCodec;
  /** The naming rule of tools and prompts (the session factory's). */
  readonly naming: ToolNaming;
  /** Least time between two list refreshes an unknown name triggers, ms. */
  readonly listRefreshIntervalMs: number;
  /** Bound on one era probe, and on a backend listen's acknowledgement, ms. */
  readonly probeTimeoutMs: number;
  /**
   * Pauses before a backend's listen is opened again after it failed or ended, ms: the first,
   * doubling per failure up to the cap (the gateway's `backendRetryInitialDelayMs` and
   * `backendRetryMaxDelayMs`).
   */
  readonly backendRetry: { readonly initialDelayMs: number; readonly maxDelayMs: number };
  /** Request body bound, bytes. */
  readonly maxBodyBytes: number;
  /** Whether the gateway verifies identities (lists are then `private`). */
  readonly perCaller: boolean;
  /** The binding secret: keys the verdict and task route record IDs and the task owner bindings. */
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
  /**
   * The session message bus: a retry's answers reach the replica holding its parked call over
   * it. Default: none (then a parked call is resumed only on the replica holding it).
   */
  readonly bus?: SessionMessageBus;
  /**
   * Told of each list change the replica's backend listens see, with its backend (the gateway's
   * `BackendChangeFeed.emit`, through which 2025-era sessions that reach the backend hear it).
   * Default: only the listen streams hear them.
   */
  readonly onBackendChange?: (workloadId: string, list: ChangedList) => void;
  /**
   * Told of each `resources/updated` the replica's backend listens see, with its backend and URI
   * (the gateway's `ResourceUpdateFeed.emit`, through which 2025-era sessions that subscribed the
   * URI hear it). Default: only the listen streams hear them.
   */
  readonly onResourceUpdated?: (workloadId: string, uri: string) => void;
  readonly log: GatewayLogger;
}

/** The built modern path. */
export interface ModernPath {
  /** The `/mcp` endpoint's hook for 2026-07-28 POSTs. */
  readonly endpoint: ModernEndpoint;
  /** The backends' era verdicts (for operators and tests). */
  readonly verdicts: BackendVerdicts;
  /**
   * The listen streams' event bus: the fan-in of backend changes delivers on this replica; the
   * gateway attaches the shared bus (`MessageBusServerEventBus`) for what crosses replicas.
   */
  readonly events: ReplicaEventBus;
  /**
   * The fan-in of backend changes; its `hold` keeps the backend listens open for the replica's
   * 2025-era sessions that reach modern backends.
   */
  readonly fanIn: ListenFanIn;
  /**
   * Publishes the changes seen on 2025-era backends (on pooled backend sessions) to every
   * replica's listen streams, folded per window (`changeCoalesceMs`): `PooledMessages`' `onChange`.
   */
  readonly changes: CoalescedChanges;
  /** The pooled backend sessions (with `options.pool`); closed by the gateway's teardown. */
  readonly pool?: Pool;
  /** This replica's calls parked for their client's input (for operators and tests). */
  readonly parked: ParkedCalls;
  /** Subscribes this replica to its parked-call channel on the bus (before it serves). */
  start(): Promise<void>;
  /** Ends the listen streams (their graceful result) and the exchanges in flight, then the backend listens. */
  close(): Promise<void>;
}

/** Least time between two reads of the backend set for the listen fan-in, ms. */
const MinSetCheckIntervalMs = 1_000;

/**
 * Builds the gateway's 2026-07-28 path: verdicts, backend set, pooled backend sessions (with
 * `options.pool`), routes, lists, relay, the listen fan-in and its event bus, endpoint.
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
              ...(b.era === undefined ? {} : { era: b.era }),
            },
          ]
        : [],
    ),
    ttlMs: config.verdictTtlMs,
    probeRetryMs: config.probeRetryMs,
    probeTimeoutMs: options.probeTimeoutMs,
    ...(options.bindingSecret === undefined ? {} : { secret: options.bindingSecret }),
    probe: options.probe ?? ((target, timeoutMs) => probeEra(target, timeoutMs, fetch)),
    discoverPinned: (target, timeoutMs) => discoverPinned(target, timeoutMs, fetch),
    log,
  });
  const backends = new ModernBackends({ backends: options.backends, verdicts });
  const parked = new ParkedCalls(config.maxParkedCalls);
  const parkedRecords = new ParkedCallRecords(options.storage, options.bindingSecret);
  let pool: Pool | undefined;
  const resumer = new ParkedCallRouter({
    bus: options.bus ?? noBus,
    calls: parked,
    ackTimeoutMs: config.parkAckTimeoutMs,
    heartbeatMs: config.parkHeartbeatMs,
    missedHeartbeats: config.parkMissedHeartbeats,
    // The holder died with the call parked: cancel its HTTP backend request from here.
    onHolderLost: (route, workloadId, owner) =>
      void cancelOrphan(parkedRecords, pool, route.callId, owner).then(
        (cancelled) =>
          cancelled &&
          log.info({ workloadId }, "cancelled the backend request of a lost parked call"),
        (error: unknown) =>
          log.warn(
            { workloadId, err: error },
            "could not cancel the backend request of a lost parked call",
          ),
      ),
    log,
  });
  pool =
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
          parking: {
            lot: parked,
            records: parkedRecords,
            times: {
              parkTimeoutMs: config.parkTimeoutMs,
              batchMs: config.parkBatchMs,
              maxBufferedNotifications: config.maxParkedNotifications,
            },
          },
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
  const tasks = new TaskRelay({
    routes: new TaskRoutes({
      storage: options.storage,
      maxTtlMs: config.taskRouteTtlMs,
      ...(options.bindingSecret === undefined ? {} : { secret: options.bindingSecret }),
    }),
    failures: new CallFailures({ backends, callTimeoutMs: config.callTimeoutMs, log }),
    callTimeoutMs: config.callTimeoutMs,
    fetch,
  });
  const relay = new ModernRelay({
    backends,
    routes,
    lists,
    callTimeoutMs: config.callTimeoutMs,
    fetch,
    log,
    tasks,
    parked: resumer,
    ...(options.requestState === undefined ? {} : { requestState: options.requestState }),
  });
  const refusals = new RefusalStatuses();
  const events = new ReplicaEventBus((error, event) =>
    log.warn({ err: error, event: event.kind }, "listen stream failed on an event"),
  );
  const changes = new CoalescedChanges({
    publish: (event) => events.publish(event),
    windowMs: config.changeCoalesceMs,
    log,
  });
  const { onBackendChange, onResourceUpdated } = options;
  const fanIn = new ListenFanIn({
    backends,
    deliver: (event) => events.deliverLocally(event),
    onBackendEvent: (workloadId, event) => {
      if (event.kind === "resource_updated") onResourceUpdated?.(workloadId, event.uri);
      const list = ListOfEvent[event.kind];
      if (list !== undefined) onBackendChange?.(workloadId, list);
    },
    maxResourceSubscriptions: config.maxResourceSubscriptions,
    ackTimeoutMs: options.probeTimeoutMs,
    retryInitialDelayMs: options.backendRetry.initialDelayMs,
    retryMaxDelayMs: options.backendRetry.maxDelayMs,
    // A verdict that is due is read (or probed) on this period: no sooner than once a second.
    setCheckIntervalMs: Math.max(MinSetCheckIntervalMs, config.probeRetryMs),
    fetch,
    log,
  });
  const endpoint = new ModernEndpoint({
    factory: createServerFactory({
      backends,
      relay,
      tasks,
      log,
      ttlCapMs: config.listTtlCapMs,
      perCaller: options.perCaller,
      refusals,
      ...(pool === undefined ? {} : { extend: (set) => pool.legacy.extend(set) }),
    }),
    refusals,
    bus: events,
    fanIn,
    maxSubscriptions: config.maxSubscriptions,
    keepAliveMs: config.keepAliveMs,
    maxRequestBodySize: options.maxBodyBytes,
    log,
    ...(pool === undefined ? {} : { around: pool.requests.around }),
  });
  return {
    endpoint,
    verdicts,
    events,
    fanIn,
    changes,
    ...(pool === undefined ? {} : { pool }),
    parked,
    start: () => (options.bus === undefined ? Promise.resolve() : resumer.start()),
    close: async () => {
      try {
        await endpoint.close();
      } finally {
        // Parked calls end with the replica: their backend requests are cancelled.
        parked.close();
        changes.close();
        events.detach();
        await resumer.close();
        await fanIn.close();
      }
    },
  };
}

/** The list a listen event's kind names (a resource update names none). */
const ListOfEvent: Readonly<Record<string, ChangedList>> = {
  tools_list_changed: "tools",
  prompts_list_changed: "prompts",
  resources_list_changed: "resources",
};

/** A bus for a path given none: resuming on another replica fails at once (the call is gone). */
const noBus: SessionMessageBus = {
  publish: () => Promise.reject(new Error("no session message bus")),
  subscribe: () => Promise.reject(new Error("no session message bus")),
  close: async () => {},
};

/**
 * Cancels the backend request of a parked call whose holder is gone, from its record (HTTP
 * backends only): resolves whether a request was cancelled. The record goes either way.
 */
async function cancelOrphan(
  records: ParkedCallRecords,
  pool: Pool | undefined,
  callId: string,
  owner: SessionOwner | undefined,
): Promise<boolean> {
  const info = await records.read(callId);
  if (info === undefined || pool === undefined) return false;
  try {
    return await pool.sessions.cancelRequest(
      info.sessionId,
      owner,
      info.workloadId,
      info.requestId,
    );
  } finally {
    await records.delete(callId);
  }
}
