import type { SessionStorage, ToolNaming } from "@vmcp/session-core";
import { DefaultListRefreshIntervalMs } from "@vmcp/session-core/defaults";
import type { CursorCodec } from "./cursor.js";
import { ListAggregation } from "./list-aggregation.js";
import { Lists } from "./list-specs.js";
import { NamedRoutes } from "./named-routes.js";
import { objectParam, type Params, stringParam } from "./params.js";
import { ResourceRoutes } from "./resource-routes.js";
import { InvalidRequestParamsError, UnsupportedRequestError } from "./router-errors.js";
import type { ServedSession } from "./session-service.js";
import { StoredSessionState } from "./session-state.js";
import type { StoredMetadataReader } from "./stored-metadata.js";

/** Options of {@link RequestRouter}. */
export interface RequestRouterOptions {
  /** Makes and checks list cursors. */
  readonly cursors: CursorCodec;
  /** Where the router writes what a restoring replica needs (level, subscriptions, task routes). */
  readonly storage: Pick<SessionStorage, "update" | "load">;
  /**
   * Where the router reads what other replicas stored for a session (a task route, a
   * subscription) that this replica does not hold. Default: a `load` from `storage` each time;
   * the gateway passes the session manager's last load (`storedMetadataReader`).
   */
  readonly storedMetadata?: StoredMetadataReader;
  /** How tool and prompt names are exposed (the factory's rule). Default `"prefix-on-conflict"`. */
  readonly naming?: ToolNaming;
  /** Least time between two route table refreshes an unknown name triggers, ms. Default 1000. */
  readonly listRefreshIntervalMs?: number;
}

/**
 * The gateway's one router: every request kind a client sends in a session goes through
 * {@link RequestRouter.route}, which finds the owning backend by one rule per kind of key:
 * - by exposed name (tools, prompts, completions of a prompt ref), through the naming rule
 *   ({@link NamedRoutes});
 * - by URI (resources/read, subscribe, unsubscribe, completions of a resource ref): a URI a
 *   backend lists goes to it; otherwise the first backend, in workload ID order, with a template
 *   (in its own list order) that the SDK's `UriTemplate` matches against the URI
 *   ({@link ResourceRoutes});
 * - by task ID (tasks/get, tasks/result, tasks/cancel): the route stored when the task was made
 *   ({@link StoredSessionState});
 * - fanned out (logging/setLevel) or aggregated page by page (the five lists, with an opaque
 *   cursor naming the backend and its own cursor: {@link ListAggregation}).
 * Params reach the backend unchanged (`_meta` and `task` included), except the name mapped back.
 */
export class RequestRouter {
  readonly #named: NamedRoutes;
  readonly #resources: ResourceRoutes;
  readonly #state: StoredSessionState;
  readonly #lists: ListAggregation;

  constructor(options: RequestRouterOptions) {
    const refreshIntervalMs = options.listRefreshIntervalMs ?? DefaultListRefreshIntervalMs;
    this.#named = new NamedRoutes(options.naming ?? "prefix-on-conflict", refreshIntervalMs);
    this.#resources = new ResourceRoutes(refreshIntervalMs);
    this.#state = new StoredSessionState(
      options.storage,
      options.storedMetadata ?? (async (id) => (await options.storage.load(id))?.metadata),
    );
    this.#lists = new ListAggregation({
      cursors: options.cursors,
      named: this.#named,
      resources: this.#resources,
      state: this.#state,
    });
  }

  /** Marks a session made on this replica: nothing stored needs applying again. */
  adopt(session: ServedSession): void {
    this.#state.adopt(session);
  }

  /**
   * Applies on this replica what other replicas stored for `session`: its logging level and
   * subscriptions, once per live session, and its subscriptions to modern backends each time (see
   * `StoredSessionState.applyStored`). {@link route} does it before each request; a GET stream
   * does it as it opens, so a replica that takes over a session's stream (its last one died)
   * follows the session's subscriptions at once, not at its next request. Never throws.
   */
  applyStored(session: ServedSession): Promise<void> {
    return this.#state.applyStored(session).catch(() => undefined);
  }

  /**
   * Forgets the route table of one kind of list for `session`, so the next request that needs it
   * lists the backends again: what a backend's `list_changed` calls for.
   */
  forgetList(session: ServedSession, kind: "tools" | "prompts" | "resources"): void {
    if (kind === "resources") this.#resources.forget(session);
    else this.#named.forget(session, kind);
  }

  /**
   * Serves one request of `session`. Never handles `initialize`.
   * @throws {UnsupportedRequestError} for an unknown method or a capability no backend offers.
   * @throws {InvalidRequestParamsError} for params it cannot route.
   * @throws {UnknownTaskError} for a task ID this session has no route for.
   * @throws {InvalidCursorError} for a forged, foreign or stale cursor.
   */
  async route(
    session: ServedSession,
    method: string,
    params: Params,
    signal: AbortSignal,
  ): Promise<unknown> {
    if (method === "ping") return {};
    await this.#state.applyStored(session);
    const opts = { signal };
    const list = Lists[method];
    if (list !== undefined) return this.#lists.list(session, method, list, params, signal);
    switch (method) {
      case "tools/call":
        return this.#callTool(session, params, signal);
      case "prompts/get": {
        objectParam(params, "arguments");
        const route = await this.#named.route(session, "prompts", stringParam(params, "name"));
        return session.request(route.workloadId, method, { ...params, name: route.name }, opts);
      }
      case "resources/read": {
        const workloadId = await this.#resources.owner(session, stringParam(params, "uri"));
        return session.request(workloadId, method, params, opts);
      }
      case "completion/complete":
        return this.#complete(session, params, signal);
      case "logging/setLevel":
        return this.#setLevel(session, params, signal);
      case "resources/subscribe":
      case "resources/unsubscribe":
        return this.#subscription(session, method, params, signal);
      case "tasks/get":
      case "tasks/result":
      case "tasks/cancel": {
        const workloadId = await this.#state.taskOwner(session, stringParam(params, "taskId"));
        return session.request(workloadId, method, params, opts);
      }
      default:
        throw new UnsupportedRequestError(method);
    }
  }

  async #callTool(session: ServedSession, params: Params, signal: AbortSignal): Promise<unknown> {
    objectParam(params, "arguments");
    const route = await this.#named.route(session, "tools", stringParam(params, "name"));
    const result = await session.request(
      route.workloadId,
      "tools/call",
      { ...params, name: route.name },
      { signal },
    );
    const task = result.task;
    if (typeof task === "object" && task !== null && "taskId" in task) {
      const taskId = (task as { taskId: unknown }).taskId;
      if (typeof taskId === "string") await this.#state.taskMade(session, taskId, route.workloadId);
    }
    return result;
  }

  async #complete(session: ServedSession, params: Params, signal: AbortSignal): Promise<unknown> {
    const ref = params.ref;
    if (typeof ref !== "object" || ref === null) {
      throw new InvalidRequestParamsError("ref is required");
    }
    const r = ref as Params;
    if (r.type === "ref/prompt") {
      const route = await this.#named.route(session, "prompts", stringParam(r, "name", "ref.name"));
      return session.request(
        route.workloadId,
        "completion/complete",
        { ...params, ref: { ...r, name: route.name } },
        { signal },
      );
    }
    if (r.type === "ref/resource") {
      const uri = stringParam(r, "uri", "ref.uri");
      const owner = await this.#resources.completionOwner(session, uri);
      return session.request(owner, "completion/complete", params, { signal });
    }
    throw new InvalidRequestParamsError("ref.type must be ref/prompt or ref/resource");
  }

  async #setLevel(session: ServedSession, params: Params, signal: AbortSignal): Promise<unknown> {
    const level = stringParam(params, "level");
    const targets = session.backendInfo().filter((b) => b.capabilities?.logging !== undefined);
    if (targets.length === 0) {
      throw new UnsupportedRequestError("logging/setLevel", "no backend offers logging");
    }
    await Promise.all(
      targets.map((b) => session.request(b.workloadId, "logging/setLevel", params, { signal })),
    );
    await this.#state.levelSet(session, level);
    return {};
  }

  async #subscription(
    session: ServedSession,
    method: "resources/subscribe" | "resources/unsubscribe",
    params: Params,
    signal: AbortSignal,
  ): Promise<unknown> {
    const uri = stringParam(params, "uri");
    let owner: string | undefined;
    if (method === "resources/unsubscribe") {
      owner = await this.#state.subscriptionOwner(session, uri);
    }
    owner ??= await this.#resources.owner(session, uri);
    const offers = session.backendInfo().find((b) => b.workloadId === owner)?.capabilities;
    if (offers?.resources?.subscribe !== true) {
      throw new UnsupportedRequestError(
        method,
        `the backend serving ${JSON.stringify(uri)} offers no subscriptions`,
      );
    }
    await session.request(owner, method, params, { signal });
    if (method === "resources/subscribe") await this.#state.subscribed(session, uri, owner);
    else await this.#state.unsubscribed(session, uri);
    return {};
  }
}
