import type {
  CallToolResult,
  GetPromptResult,
  Prompt,
  ReadResourceResult,
  Resource,
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
import type { BackendInfo, MultiSession } from "./session-operations.js";
import { exposeNames, type ToolNaming } from "./tool-naming.js";

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

  async notifyBackend(
    workloadId: string,
    method: string,
    params?: Record<string, unknown>,
  ): Promise<void> {
    if (this.#state === "closed") return;
    await this.#connections.get(workloadId)?.notify?.(method, params);
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
