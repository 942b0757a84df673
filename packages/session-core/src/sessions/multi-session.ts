import type {
  CallToolResult,
  GetPromptResult,
  Prompt,
  ReadResourceResult,
  Resource,
  ServerCapabilities,
  Tool,
} from "@modelcontextprotocol/sdk/types.js";
import { withBackend, withoutBackend } from "@vmcp/session-keys";
import type { BackendConnection, BackendRequestOptions } from "../backends/backend-connector.js";
import { BackendUnavailableError } from "../backends/errors.js";
import type { SessionMetadata } from "../storage/session-record.js";
import { context } from "../telemetry/otel-api.js";
import { traceBackendCall } from "../telemetry/telemetry.js";
import type { ClientInfoRecord } from "./client-info.js";
import {
  ConcurrencyLimit,
  DefaultMaxConcurrentBackendRequests,
  DefaultMaxQueuedBackendRequests,
} from "./concurrency-limit.js";
import {
  SessionBusyError,
  SessionClosedError,
  UnknownPromptError,
  UnknownResourceError,
  UnknownToolError,
} from "./errors.js";
import { DefaultListRefreshIntervalMs, ListRefreshGate } from "./list-refresh.js";
import { exposeNames, type ToolNaming } from "./tool-naming.js";

/**
 * What every client session spread over several backend MCP servers offers: one tool list, calls
 * routed to the backend that owns each tool. Tool and prompt names follow the factory's
 * {@link ToolNaming}; resources keep their URIs (when two backends list one URI, the backend first
 * by workload ID serves it). A bare {@link MultiSession} and a manager's `ManagedSession` both
 * offer it; they differ in how a backend or the whole session is let go.
 */
export interface SessionOperations {
  /** The session ID (the client's `Mcp-Session-Id`). */
  readonly id: string;
  /** The workload IDs of the backends connected now, sorted. */
  readonly backendIds: readonly string[];
  /** What the client sent at `initialize`, when known. */
  readonly client: ClientInfoRecord | undefined;
  /**
   * A copy of the session's metadata: the backend keys written by `makeSession` (or read back
   * and updated by a restore), client info and, once managed, the identity binding.
   */
  getMetadata(): Record<string, string>;
  /** Every tool of every connected backend, under its exposed name; refreshes the routing table. */
  listTools(options?: BackendRequestOptions): Promise<Tool[]>;
  /**
   * Calls a tool by its exposed name on the backend that owns it.
   * @throws {UnknownToolError} when no connected backend offers that name (after at most one
   *   list refresh, shared and rate-limited: see {@link MultiSessionLimits.listRefreshIntervalMs}).
   * @throws {SessionBusyError} when the session's backend request slots and queue are full.
   */
  callTool(
    name: string,
    args?: Record<string, unknown>,
    options?: BackendRequestOptions,
  ): Promise<CallToolResult>;
  /** Every resource of every connected backend; refreshes the routing table. */
  listResources(options?: BackendRequestOptions): Promise<Resource[]>;
  /**
   * Reads a resource from the backend that lists its URI.
   * @throws {UnknownResourceError} when no connected backend lists it (after one refresh).
   */
  readResource(uri: string, options?: BackendRequestOptions): Promise<ReadResourceResult>;
  /** Every prompt of every connected backend, under its exposed name; refreshes the routing table. */
  listPrompts(options?: BackendRequestOptions): Promise<Prompt[]>;
  /**
   * Renders a prompt by its exposed name on the backend that owns it.
   * @throws {UnknownPromptError} when no connected backend offers that name (after one refresh).
   */
  getPrompt(
    name: string,
    args?: Record<string, string>,
    options?: BackendRequestOptions,
  ): Promise<GetPromptResult>;
  /** What each connected backend declared at `initialize`, sorted by workload ID. */
  backendInfo(): readonly BackendInfo[];
  /**
   * Sends a notification from the client (e.g. `notifications/roots/list_changed`) to every
   * backend connected here, unchanged. Best effort: a backend that cannot be reached is skipped;
   * never rejects.
   */
  notifyBackends(method: string, params?: Record<string, unknown>): Promise<void>;
  /**
   * Sends one request (`method`, `params` unchanged, `_meta` included) to the connected backend
   * `workloadId`, within the session's backend request limits, and resolves its result unchanged.
   * When an OpenTelemetry SDK is registered, the request runs in an MCP client span whose context
   * replaces `traceparent`, `tracestate` and `baggage` in `_meta` (see the README's tracing).
   * @throws {BackendUnavailableError} when that backend is not connected, or its connector has no
   *   generic requests.
   * @throws {SessionBusyError} when the session's backend request slots and queue are full.
   */
  request(
    workloadId: string,
    method: string,
    params: Record<string, unknown> | undefined,
    options?: BackendRequestOptions,
  ): Promise<Record<string, unknown>>;
  /**
   * Replaces (or adds) the live connection of one backend, closing the previous one locally,
   * and records its session ID (plus protocol and capabilities) in the session's metadata.
   */
  replaceBackend(connection: BackendConnection): Promise<void>;
  /** Ends the session's backend sessions (HTTP DELETE). Idempotent; never throws for a backend already gone. */
  terminate(): Promise<void>;
}

/**
 * A live session on this replica only, as the factory makes it: {@link SessionOperations} plus
 * local-only ways to let go of a backend or of every connection. Nothing here touches storage
 * (a `SessionManager` does that, see `ManagedSession`).
 */
export interface MultiSession extends SessionOperations {
  /**
   * Drops one backend from the live session (closing its connection locally) and from the
   * session's metadata (its keys, and its entry in `vmcp.backend.ids`). No-op when absent.
   */
  dropBackend(workloadId: string): Promise<void>;
  /** Closes every local backend connection; the backend sessions live on for other replicas. Idempotent. */
  close(): Promise<void>;
  /** Ends every backend session (HTTP DELETE), then closes. Idempotent; never throws for a backend already gone. */
  terminate(): Promise<void>;
}

/** What one connected backend declared at `initialize`. */
export interface BackendInfo {
  /** The backend's workload ID. */
  readonly workloadId: string;
  /** Its server capabilities; `undefined` when unknown. */
  readonly capabilities: ServerCapabilities | undefined;
  /** Its instructions; `undefined` when it sent none (or it was reattached without `initialize`). */
  readonly instructions: string | undefined;
}

/** What {@link DefaultMultiSession} is built from. */
export interface MultiSessionInit {
  /** The session ID. */
  readonly id: string;
  /** The session's metadata, already holding the backend keys. */
  readonly metadata: Readonly<SessionMetadata>;
  /** The live connections; a workload ID listed twice keeps the last (the earlier one is closed). */
  readonly connections: readonly BackendConnection[];
  /** Name conflict rule. Default `"prefix-on-conflict"`. */
  readonly toolNaming?: ToolNaming;
  /** The client's `initialize` info, when known. */
  readonly client?: ClientInfoRecord | undefined;
  /** Bounds on the session's backend work. Default: every default of {@link MultiSessionLimits}. */
  readonly limits?: MultiSessionLimits;
}

/** Bounds on the backend work of one session (per replica). */
export interface MultiSessionLimits {
  /**
   * Backend requests of this session in flight at once (a list over N backends counts N).
   * @default 16
   */
  readonly maxConcurrentRequests?: number;
  /**
   * Backend requests waiting for a slot; one more is refused with `SessionBusyError`.
   * @default 256
   */
  readonly maxQueuedRequests?: number;
  /**
   * Least time, ms, between two list refreshes that an unknown tool/prompt name or resource URI
   * triggers; within it the name is answered unknown from the current table. At most one
   * refresh is in flight per list either way.
   * @default 1_000 ({@link DefaultListRefreshIntervalMs} in `@vmcp/session-core/defaults`)
   */
  readonly listRefreshIntervalMs?: number;
}

/**
 * {@link MultiSessionLimits} with every default applied.
 * @throws {RangeError} for a `maxConcurrentRequests` below 1, or a negative or non-integer limit.
 */
export function resolveMultiSessionLimits(
  limits: MultiSessionLimits = {},
): Required<MultiSessionLimits> {
  const resolved = {
    maxConcurrentRequests: limits.maxConcurrentRequests ?? DefaultMaxConcurrentBackendRequests,
    maxQueuedRequests: limits.maxQueuedRequests ?? DefaultMaxQueuedBackendRequests,
    listRefreshIntervalMs: limits.listRefreshIntervalMs ?? DefaultListRefreshIntervalMs,
  };
  for (const [name, value] of Object.entries(resolved)) {
    const least = name === "maxConcurrentRequests" ? 1 : 0;
    if (!Number.isSafeInteger(value) || value < least) {
      throw new RangeError(`${name} must be an integer of at least ${least}, got ${String(value)}`);
    }
  }
  return resolved;
}

interface Route {
  readonly workloadId: string;
  readonly name: string;
}

/** The standard {@link MultiSession}, as made by `MultiSessionFactory`. */
export class DefaultMultiSession implements MultiSession {
  readonly id: string;
  readonly client: ClientInfoRecord | undefined;
  #metadata: SessionMetadata;
  readonly #connections = new Map<string, BackendConnection>();
  readonly #naming: ToolNaming;
  #toolRoutes: Map<string, Route> | undefined;
  #promptRoutes: Map<string, Route> | undefined;
  #resourceRoutes: Map<string, string> | undefined;
  #state: "open" | "closed" = "open";
  #ending: Promise<void> | undefined;
  readonly #limit: ConcurrencyLimit;
  readonly #refresh: Record<"tools" | "resources" | "prompts", ListRefreshGate>;

  /** @throws {RangeError} for a limit that is not a positive integer (a queue or interval may be 0). */
  constructor(init: MultiSessionInit) {
    const limits = resolveMultiSessionLimits(init.limits);
    const { maxConcurrentRequests: maxConcurrent, maxQueuedRequests: maxQueued } = limits;
    this.#limit = new ConcurrencyLimit(
      maxConcurrent,
      maxQueued,
      () => new SessionBusyError(init.id, maxConcurrent, maxQueued),
    );
    const interval = limits.listRefreshIntervalMs;
    this.#refresh = {
      tools: new ListRefreshGate(interval),
      resources: new ListRefreshGate(interval),
      prompts: new ListRefreshGate(interval),
    };
    this.id = init.id;
    this.client = init.client;
    this.#metadata = { ...init.metadata };
    this.#naming = init.toolNaming ?? "prefix-on-conflict";
    for (const connection of init.connections) {
      const previous = this.#connections.get(connection.workloadId);
      if (previous !== undefined && previous !== connection) void previous.close();
      this.#connections.set(connection.workloadId, connection);
    }
  }

  get backendIds(): readonly string[] {
    return [...this.#connections.keys()].sort();
  }

  getMetadata(): Record<string, string> {
    return { ...this.#metadata };
  }

  async listTools(options: BackendRequestOptions = {}): Promise<Tool[]> {
    const perBackend = await this.#gather("tools", (c) => c.listTools(options), options.signal);
    const exposed = exposeNames(perBackend, this.#naming);
    this.#toolRoutes = new Map(
      exposed.map((e) => [e.exposedName, { workloadId: e.workloadId, name: e.item.name }]),
    );
    return exposed.map((e) => ({ ...e.item, name: e.exposedName }));
  }

  async callTool(
    name: string,
    args?: Record<string, unknown>,
    options: BackendRequestOptions = {},
  ): Promise<CallToolResult> {
    let route = this.#toolRoutes?.get(name);
    if (route === undefined) {
      // Shared by every caller that meets an unknown name meanwhile: no caller's signal.
      await this.#refresh.tools.refresh({ tableExists: this.#toolRoutes !== undefined }, () =>
        this.listTools(),
      );
      route = this.#toolRoutes?.get(name);
    }
    const connection = route === undefined ? undefined : this.#connections.get(route.workloadId);
    if (route === undefined || connection === undefined) throw new UnknownToolError(name);
    const backendName = route.name;
    return this.#limit.run(() => connection.callTool(backendName, args, options), options.signal);
  }

  async listResources(options: BackendRequestOptions = {}): Promise<Resource[]> {
    const perBackend = await this.#gather(
      "resources",
      (c) => c.listResources(options),
      options.signal,
    );
    const routes = new Map<string, string>();
    const resources: Resource[] = [];
    for (const [workloadId, items] of perBackend) {
      for (const resource of items) {
        if (routes.has(resource.uri)) continue;
        routes.set(resource.uri, workloadId);
        resources.push(resource);
      }
    }
    this.#resourceRoutes = routes;
    return resources;
  }

  async readResource(
    uri: string,
    options: BackendRequestOptions = {},
  ): Promise<ReadResourceResult> {
    let workloadId = this.#resourceRoutes?.get(uri);
    if (workloadId === undefined) {
      await this.#refresh.resources.refresh(
        { tableExists: this.#resourceRoutes !== undefined },
        () => this.listResources(),
      );
      workloadId = this.#resourceRoutes?.get(uri);
    }
    const connection = workloadId === undefined ? undefined : this.#connections.get(workloadId);
    if (connection === undefined) throw new UnknownResourceError(uri);
    return this.#limit.run(() => connection.readResource(uri, options), options.signal);
  }

  async listPrompts(options: BackendRequestOptions = {}): Promise<Prompt[]> {
    const perBackend = await this.#gather("prompts", (c) => c.listPrompts(options), options.signal);
    const exposed = exposeNames(perBackend, this.#naming);
    this.#promptRoutes = new Map(
      exposed.map((e) => [e.exposedName, { workloadId: e.workloadId, name: e.item.name }]),
    );
    return exposed.map((e) => ({ ...e.item, name: e.exposedName }));
  }

  async getPrompt(
    name: string,
    args?: Record<string, string>,
    options: BackendRequestOptions = {},
  ): Promise<GetPromptResult> {
    let route = this.#promptRoutes?.get(name);
    if (route === undefined) {
      await this.#refresh.prompts.refresh({ tableExists: this.#promptRoutes !== undefined }, () =>
        this.listPrompts(),
      );
      route = this.#promptRoutes?.get(name);
    }
    const connection = route === undefined ? undefined : this.#connections.get(route.workloadId);
    if (route === undefined || connection === undefined) throw new UnknownPromptError(name);
    const backendName = route.name;
    return this.#limit.run(() => connection.getPrompt(backendName, args, options), options.signal);
  }

  backendInfo(): readonly BackendInfo[] {
    return this.backendIds.map((workloadId) => {
      const c = this.#connections.get(workloadId);
      return { workloadId, capabilities: c?.capabilities, instructions: c?.instructions };
    });
  }

  async notifyBackends(method: string, params?: Record<string, unknown>): Promise<void> {
    if (this.#state === "closed") return;
    await Promise.allSettled(
      [...this.#connections.values()].map((c) => c.notify?.(method, params)),
    );
  }

  async request(
    workloadId: string,
    method: string,
    params: Record<string, unknown> | undefined,
    options: BackendRequestOptions = {},
  ): Promise<Record<string, unknown>> {
    if (this.#state === "closed")
      throw new SessionClosedError(`session ${JSON.stringify(this.id)}`);
    const connection = this.#connections.get(workloadId);
    if (connection === undefined)
      throw new BackendUnavailableError(workloadId, "it is not connected to this session");
    const send = connection.request?.bind(connection);
    if (send === undefined)
      throw new BackendUnavailableError(workloadId, "its connector sends no generic requests");
    // The caller's context, taken before waiting for a slot: a queued call runs later from
    // another request's turn, and its client span must still be this request's child.
    const parent = context.active();
    const info = {
      workloadId,
      method,
      params,
      backendSessionId: connection.sessionId,
      protocolVersion: connection.protocolVersion,
    };
    return this.#limit.run(
      () => traceBackendCall(info, parent, (sent) => send(method, sent, options)),
      options.signal,
    );
  }

  async replaceBackend(connection: BackendConnection): Promise<void> {
    if (this.#state === "closed") {
      await connection.close();
      throw new SessionClosedError(`session ${JSON.stringify(this.id)}`);
    }
    const previous = this.#connections.get(connection.workloadId);
    this.#connections.set(connection.workloadId, connection);
    this.#metadata = withBackend(this.#metadata, connection);
    this.#forgetRoutes();
    if (previous !== undefined && previous !== connection) await previous.close();
  }

  async dropBackend(workloadId: string): Promise<void> {
    const previous = this.#connections.get(workloadId);
    this.#connections.delete(workloadId);
    this.#metadata = withoutBackend(this.#metadata, workloadId);
    this.#forgetRoutes();
    if (previous !== undefined) await previous.close();
  }

  close(): Promise<void> {
    return this.#end((c) => c.close());
  }

  terminate(): Promise<void> {
    return this.#end((c) => c.terminate());
  }

  #end(how: (c: BackendConnection) => Promise<void>): Promise<void> {
    if (this.#ending === undefined) {
      this.#state = "closed";
      const connections = [...this.#connections.values()];
      this.#ending = Promise.allSettled(connections.map(how)).then(() => undefined);
    }
    return this.#ending;
  }

  #forgetRoutes(): void {
    this.#toolRoutes = undefined;
    this.#promptRoutes = undefined;
    this.#resourceRoutes = undefined;
  }

  /** Lists from every backend that offers `capability` (all, when its capabilities are unknown). */
  async #gather<T>(
    capability: "tools" | "resources" | "prompts",
    list: (c: BackendConnection) => Promise<T[]>,
    signal: AbortSignal | undefined,
  ): Promise<Array<readonly [string, T[]]>> {
    if (this.#state === "closed")
      throw new SessionClosedError(`session ${JSON.stringify(this.id)}`);
    const ids = this.backendIds.filter((id) => {
      const capabilities = this.#connections.get(id)?.capabilities;
      return capabilities === undefined || capabilities[capability] !== undefined;
    });
    const lists = await Promise.all(
      ids.map((id) => {
        const connection = this.#connections.get(id);
        return connection === undefined
          ? Promise.resolve([])
          : this.#limit.run(() => list(connection), signal);
      }),
    );
    return ids.map((id, i) => [id, lists[i] ?? []] as const);
  }
}
