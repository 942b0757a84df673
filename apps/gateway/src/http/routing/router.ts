import { UriTemplate } from "@modelcontextprotocol/sdk/shared/uriTemplate.js";
import type { ServerCapabilities } from "@modelcontextprotocol/sdk/types.js";
import {
  BackendSessionExpiredError,
  BackendUnavailableError,
  DefaultListRefreshIntervalMs,
  exposeNames,
  ListRefreshGate,
  type SessionPatch,
  type SessionStorage,
  type ToolNaming,
  UnknownPromptError,
  UnknownResourceError,
  UnknownToolError,
} from "@vmcp/session-core";
import {
  MetadataKeyLoggingLevel,
  parseSubscriptionKey,
  subscriptionKey,
  taskRouteKey,
} from "@vmcp/session-keys";
import { type CursorCodec, InvalidCursorError } from "./cursor.js";
import {
  InvalidRequestParamsError,
  UnknownTaskError,
  UnsupportedRequestError,
} from "./router-errors.js";
import type { ServedSession } from "./session-service.js";

/** Options of {@link RequestRouter}. */
export interface RequestRouterOptions {
  /** Makes and checks list cursors. */
  readonly cursors: CursorCodec;
  /** Where the router writes what a restoring replica needs (level, subscriptions, task routes). */
  readonly storage: Pick<SessionStorage, "update" | "load">;
  /** How tool and prompt names are exposed (the factory's rule). Default `"prefix-on-conflict"`. */
  readonly naming?: ToolNaming;
  /** Least time between two route table refreshes an unknown name triggers, ms. Default 1000. */
  readonly listRefreshIntervalMs?: number;
}

type Params = Record<string, unknown>;

interface NamedRoute {
  readonly workloadId: string;
  readonly name: string;
}

interface TemplateRoute {
  readonly workloadId: string;
  readonly uriTemplate: string;
  readonly template: UriTemplate;
}

/** What the router keeps per live session on this replica. */
interface Tables {
  tools?: Map<string, NamedRoute>;
  prompts?: Map<string, NamedRoute>;
  /** `${workloadId}\n${name}` to the exposed name, per kind. */
  exposed: { tools: Map<string, string>; prompts: Map<string, string> };
  resources?: Map<string, string>;
  templates?: TemplateRoute[];
  readonly tasks: Map<string, string>;
  readonly subscriptions: Map<string, string>;
  readonly gates: Record<"tools" | "prompts" | "resources", ListRefreshGate>;
  /** Set once the stored level and subscriptions were applied on this replica. */
  applied?: Promise<void>;
}

type NamedKind = "tools" | "prompts";

interface ListSpec {
  /** The result field holding the items. */
  readonly field: string;
  /** Whether the backend offers this list. */
  readonly offers: (c: ServerCapabilities) => boolean;
  /** Tools and prompts are renamed by the naming rule. */
  readonly named?: NamedKind;
}

const Lists: Readonly<Record<string, ListSpec>> = {
  "tools/list": { field: "tools", offers: (c) => c.tools !== undefined, named: "tools" },
  "prompts/list": { field: "prompts", offers: (c) => c.prompts !== undefined, named: "prompts" },
  "resources/list": { field: "resources", offers: (c) => c.resources !== undefined },
  "resources/templates/list": {
    field: "resourceTemplates",
    offers: (c) => c.resources !== undefined,
  },
  "tasks/list": { field: "tasks", offers: (c) => c.tasks?.list !== undefined },
};

/** Longest pagination walk followed when building a route table, so a looping backend cannot hang it. */
const MaxPages = 1_000;

/**
 * The gateway's one router: every request kind a client sends in a session goes through
 * {@link RequestRouter.route}, which finds the owning backend by one rule per kind of key:
 * - by exposed name (tools, prompts, completions of a prompt ref), through the naming rule;
 * - by URI (resources/read, subscribe, unsubscribe, completions of a resource ref): a URI a
 *   backend lists goes to it; otherwise the first backend, in workload ID order, with a template
 *   (in its own list order) that the SDK's `UriTemplate` matches against the URI;
 * - by task ID (tasks/get, tasks/result, tasks/cancel): the route stored when the task was made;
 * - fanned out (logging/setLevel) or aggregated page by page (the five lists, with an opaque
 *   cursor naming the backend and its own cursor).
 * Params reach the backend unchanged (`_meta` and `task` included), except the name mapped back.
 */
export class RequestRouter {
  readonly #o: RequestRouterOptions;
  readonly #naming: ToolNaming;
  readonly #interval: number;
  readonly #tables = new WeakMap<object, Tables>();

  constructor(options: RequestRouterOptions) {
    this.#o = options;
    this.#naming = options.naming ?? "prefix-on-conflict";
    this.#interval = options.listRefreshIntervalMs ?? DefaultListRefreshIntervalMs;
  }

  /** Marks a session made on this replica: nothing stored needs applying again. */
  adopt(session: ServedSession): void {
    this.#tablesOf(session).applied = Promise.resolve();
  }

  /**
   * Forgets the route table of one kind of list for `session`, so the next request that needs it
   * lists the backends again: what a backend's `list_changed` calls for.
   */
  forgetList(session: ServedSession, kind: "tools" | "prompts" | "resources"): void {
    const tables = this.#tables.get(session);
    if (tables === undefined) return;
    if (kind === "resources") {
      delete tables.resources;
      delete tables.templates;
    } else {
      delete tables[kind];
      tables.exposed[kind] = new Map();
    }
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
    await this.#applyStored(session);
    const opts = { signal };
    const list = Lists[method];
    if (list !== undefined) return this.#list(session, method, list, params, signal);
    switch (method) {
      case "tools/call":
        return this.#callTool(session, params, signal);
      case "prompts/get": {
        objectParam(params, "arguments");
        const route = await this.#named(session, "prompts", stringParam(params, "name"));
        return session.request(route.workloadId, method, { ...params, name: route.name }, opts);
      }
      case "resources/read": {
        const workloadId = await this.#byUri(session, stringParam(params, "uri"));
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
        const workloadId = await this.#taskOwner(session, stringParam(params, "taskId"));
        return session.request(workloadId, method, params, opts);
      }
      default:
        throw new UnsupportedRequestError(method);
    }
  }

  async #callTool(session: ServedSession, params: Params, signal: AbortSignal): Promise<unknown> {
    objectParam(params, "arguments");
    const route = await this.#named(session, "tools", stringParam(params, "name"));
    const result = await session.request(
      route.workloadId,
      "tools/call",
      { ...params, name: route.name },
      { signal },
    );
    const task = result.task;
    if (typeof task === "object" && task !== null && "taskId" in task) {
      const taskId = (task as { taskId: unknown }).taskId;
      if (typeof taskId === "string") {
        this.#tablesOf(session).tasks.set(taskId, route.workloadId);
        await this.#persist(session, { set: { [taskRouteKey(taskId)]: route.workloadId } });
      }
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
      const route = await this.#named(session, "prompts", stringParam(r, "name", "ref.name"));
      return session.request(
        route.workloadId,
        "completion/complete",
        { ...params, ref: { ...r, name: route.name } },
        { signal },
      );
    }
    if (r.type === "ref/resource") {
      const uri = stringParam(r, "uri", "ref.uri");
      let owner = this.#templateOwner(session, uri);
      if (owner === undefined) {
        await this.#refreshResources(session);
        owner = this.#templateOwner(session, uri) ?? this.#tablesOf(session).resources?.get(uri);
      }
      if (owner === undefined) throw new UnknownResourceError(uri);
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
    await this.#persist(session, { set: { [MetadataKeyLoggingLevel]: level } });
    return {};
  }

  async #subscription(
    session: ServedSession,
    method: "resources/subscribe" | "resources/unsubscribe",
    params: Params,
    signal: AbortSignal,
  ): Promise<unknown> {
    const uri = stringParam(params, "uri");
    const tables = this.#tablesOf(session);
    const key = subscriptionKey(uri);
    let owner: string | undefined;
    if (method === "resources/unsubscribe") {
      owner = tables.subscriptions.get(uri) ?? session.getMetadata()[key];
      if (owner === undefined) owner = (await this.#o.storage.load(session.id))?.metadata[key];
    }
    owner ??= await this.#byUri(session, uri);
    const offers = session.backendInfo().find((b) => b.workloadId === owner)?.capabilities;
    if (offers?.resources?.subscribe !== true) {
      throw new UnsupportedRequestError(
        method,
        `the backend serving ${JSON.stringify(uri)} offers no subscriptions`,
      );
    }
    await session.request(owner, method, params, { signal });
    if (method === "resources/subscribe") {
      tables.subscriptions.set(uri, owner);
      await this.#persist(session, { set: { [key]: owner } });
    } else {
      tables.subscriptions.delete(uri);
      await this.#persist(session, { remove: [key] });
    }
    return {};
  }

  async #taskOwner(session: ServedSession, taskId: string): Promise<string> {
    const key = taskRouteKey(taskId);
    const owner =
      this.#tablesOf(session).tasks.get(taskId) ??
      session.getMetadata()[key] ??
      (await this.#o.storage.load(session.id))?.metadata[key];
    if (owner === undefined || !session.backendIds.includes(owner)) {
      throw new UnknownTaskError(taskId);
    }
    this.#tablesOf(session).tasks.set(taskId, owner);
    return owner;
  }

  async #list(
    session: ServedSession,
    method: string,
    spec: ListSpec,
    params: Params,
    signal: AbortSignal,
  ): Promise<unknown> {
    const backends = session
      .backendInfo()
      .filter((b) => b.capabilities === undefined || spec.offers(b.capabilities))
      .map((b) => b.workloadId);
    const { cursor, ...rest } = params;
    let index = 0;
    let backendCursor: string | undefined;
    if (cursor !== undefined) {
      if (typeof cursor !== "string") throw new InvalidCursorError("a cursor is a string");
      const position = this.#o.cursors.decode(session.id, method, cursor);
      index = backends.indexOf(position.workloadId);
      if (index < 0) throw new InvalidCursorError("its backend is no longer in the session");
      backendCursor = position.backendCursor;
    } else if (spec.named !== undefined && this.#naming === "prefix-on-conflict") {
      // A name's exposed form depends on every backend's names: know them all first.
      await this.#buildNamed(session, spec.named);
    }
    // One gateway page: the next page of the cursor's backend; when that ends the backend, the
    // first page of each following backend (asked in parallel), up to and including the first
    // that has more pages.
    const fetchPage = async (workloadId: string, from: string | undefined) => {
      try {
        const page = await session.request(
          workloadId,
          method,
          from === undefined ? rest : { ...rest, cursor: from },
          { signal },
        );
        return { workloadId, page };
      } catch (error) {
        // A backend that failed for good has left the session: list the others.
        if (isBackendFailure(error) && !session.backendIds.includes(workloadId)) return undefined;
        throw error;
      }
    };
    const pages =
      index < backends.length ? [await fetchPage(backends[index] as string, backendCursor)] : [];
    if (!hasMore(pages[0]?.page)) {
      pages.push(
        ...(await Promise.all(backends.slice(index + 1).map((w) => fetchPage(w, undefined)))),
      );
    }
    const shown: Params[] = [];
    let following: { workloadId: string; backendCursor?: string } | undefined;
    for (let i = 0; i < pages.length; i++) {
      const entry = pages[i];
      if (entry === undefined) continue;
      const { workloadId, page } = entry;
      const items = Array.isArray(page[spec.field]) ? (page[spec.field] as Params[]) : [];
      shown.push(...(await this.#present(session, method, spec, workloadId, items)));
      const next = page.nextCursor;
      if (typeof next === "string" && next !== "") {
        following = { workloadId, backendCursor: next };
        break;
      }
    }
    return {
      [spec.field]: shown,
      ...(following === undefined
        ? {}
        : { nextCursor: this.#o.cursors.encode(session.id, { list: method, ...following }) }),
    };
  }

  /** The items of one backend page as the client sees them; records their routes. */
  async #present(
    session: ServedSession,
    method: string,
    spec: ListSpec,
    workloadId: string,
    items: Params[],
  ): Promise<Params[]> {
    const tables = this.#tablesOf(session);
    if (spec.named !== undefined) {
      const kind = spec.named;
      const exposedOf = (name: string) => tables.exposed[kind].get(`${workloadId}\n${name}`);
      if (items.some((i) => typeof i.name === "string" && exposedOf(i.name) === undefined)) {
        await this.#buildNamed(session, kind);
      }
      return items.map((item) => {
        const name = typeof item.name === "string" ? item.name : "";
        const exposed = exposedOf(name) ?? this.#soloName(workloadId, name);
        tables[kind] ??= new Map();
        const routes = tables[kind];
        if (!routes.has(exposed)) routes.set(exposed, { workloadId, name });
        return { ...item, name: exposed };
      });
    }
    if (method === "resources/list") {
      tables.resources ??= new Map();
      const routes = tables.resources;
      for (const item of items) {
        if (typeof item.uri === "string" && !routes.has(item.uri)) routes.set(item.uri, workloadId);
      }
    } else if (method === "resources/templates/list") {
      tables.templates ??= [];
      const known = tables.templates;
      for (const item of items) addTemplate(known, workloadId, item);
    } else if (method === "tasks/list") {
      for (const item of items) {
        if (typeof item.taskId === "string") tables.tasks.set(item.taskId, workloadId);
      }
    }
    return items;
  }

  #soloName(workloadId: string, name: string): string {
    return this.#naming === "always-prefix" ? `${workloadId}__${name}` : name;
  }

  async #named(session: ServedSession, kind: NamedKind, exposed: string): Promise<NamedRoute> {
    const tables = this.#tablesOf(session);
    let route = tables[kind]?.get(exposed);
    if (route === undefined || !session.backendIds.includes(route.workloadId)) {
      await tables.gates[kind].refresh({ tableExists: tables[kind] !== undefined }, () =>
        this.#buildNamed(session, kind),
      );
      route = tables[kind]?.get(exposed);
    }
    if (route === undefined || !session.backendIds.includes(route.workloadId)) {
      throw kind === "tools" ? new UnknownToolError(exposed) : new UnknownPromptError(exposed);
    }
    return route;
  }

  /** Rebuilds the route table of `kind` from every page of every backend that offers it. */
  async #buildNamed(session: ServedSession, kind: NamedKind): Promise<void> {
    const method = kind === "tools" ? "tools/list" : "prompts/list";
    const perBackend = await this.#everyPage(session, method, Lists[method] as ListSpec);
    const named = perBackend.map(
      ([w, items]) =>
        [
          w,
          items.filter((i): i is Params & { name: string } => typeof i.name === "string"),
        ] as const,
    );
    const exposed = exposeNames(named, this.#naming);
    const tables = this.#tablesOf(session);
    tables[kind] = new Map(
      exposed.map((e) => [e.exposedName, { workloadId: e.workloadId, name: e.item.name }]),
    );
    tables.exposed[kind] = new Map(
      exposed.map((e) => [`${e.workloadId}\n${e.item.name}`, e.exposedName]),
    );
  }

  async #refreshResources(session: ServedSession): Promise<void> {
    const tables = this.#tablesOf(session);
    await tables.gates.resources.refresh(
      { tableExists: tables.resources !== undefined },
      async () => {
        const [listed, templated] = await Promise.all([
          this.#everyPage(session, "resources/list", Lists["resources/list"] as ListSpec),
          this.#everyPage(
            session,
            "resources/templates/list",
            Lists["resources/templates/list"] as ListSpec,
          ),
        ]);
        const routes = new Map<string, string>();
        for (const [w, items] of listed) {
          for (const item of items) {
            if (typeof item.uri === "string" && !routes.has(item.uri)) routes.set(item.uri, w);
          }
        }
        const templates: TemplateRoute[] = [];
        for (const [w, items] of templated)
          for (const item of items) addTemplate(templates, w, item);
        tables.resources = routes;
        tables.templates = templates;
      },
    );
  }

  async #byUri(session: ServedSession, uri: string): Promise<string> {
    const tables = this.#tablesOf(session);
    const find = () => {
      const listed = tables.resources?.get(uri);
      if (listed !== undefined && session.backendIds.includes(listed)) return listed;
      return this.#templateMatch(session, uri);
    };
    let owner = find();
    if (owner === undefined) {
      await this.#refreshResources(session);
      owner = find();
    }
    if (owner === undefined) throw new UnknownResourceError(uri);
    return owner;
  }

  /** The first backend, in workload ID order, with a template matching `uri`. */
  #templateMatch(session: ServedSession, uri: string): string | undefined {
    const templates = this.#tablesOf(session).templates ?? [];
    for (const workloadId of session.backendIds) {
      for (const t of templates) {
        if (t.workloadId === workloadId && t.template.match(uri) !== null) return workloadId;
      }
    }
    return undefined;
  }

  /** The first backend, in workload ID order, that lists the template `uriTemplate` itself. */
  #templateOwner(session: ServedSession, uriTemplate: string): string | undefined {
    const templates = this.#tablesOf(session).templates ?? [];
    return session.backendIds.find((w) =>
      templates.some((t) => t.workloadId === w && t.uriTemplate === uriTemplate),
    );
  }

  async #everyPage(
    session: ServedSession,
    method: string,
    spec: ListSpec,
  ): Promise<Array<readonly [string, Params[]]>> {
    const backends = session
      .backendInfo()
      .filter((b) => b.capabilities === undefined || spec.offers(b.capabilities))
      .map((b) => b.workloadId);
    const lists = await Promise.all(
      backends.map(async (workloadId) => {
        const all: Params[] = [];
        let cursor: string | undefined;
        try {
          for (let i = 0; i < MaxPages; i++) {
            const page = await session.request(
              workloadId,
              method,
              cursor === undefined ? {} : { cursor },
            );
            const items = page[spec.field];
            if (Array.isArray(items)) all.push(...(items as Params[]));
            cursor =
              typeof page.nextCursor === "string" && page.nextCursor !== ""
                ? page.nextCursor
                : undefined;
            if (cursor === undefined) break;
          }
        } catch (error) {
          if (isBackendFailure(error) && !session.backendIds.includes(workloadId)) return [];
          throw error;
        }
        return all;
      }),
    );
    return backends.map((w, i) => [w, lists[i] ?? []] as const);
  }

  /**
   * On the first request a replica serves for a session it restored: sets the stored logging
   * level on every backend that offers logging and renews every stored subscription. A backend
   * that refuses is logged by the caller's error path only when the request itself needs it:
   * here failures are ignored (the request is still served).
   */
  #applyStored(session: ServedSession): Promise<void> {
    const tables = this.#tablesOf(session);
    tables.applied ??= (async () => {
      const metadata = session.getMetadata();
      const level = metadata[MetadataKeyLoggingLevel];
      const work: Promise<unknown>[] = [];
      for (const b of session.backendInfo()) {
        if (level !== undefined && b.capabilities?.logging !== undefined) {
          work.push(session.request(b.workloadId, "logging/setLevel", { level }));
        }
      }
      for (const [key, owner] of Object.entries(metadata)) {
        const uri = parseSubscriptionKey(key);
        if (uri === undefined || !session.backendIds.includes(owner)) continue;
        tables.subscriptions.set(uri, owner);
        work.push(session.request(owner, "resources/subscribe", { uri }));
      }
      await Promise.allSettled(work);
    })();
    return tables.applied;
  }

  async #persist(session: ServedSession, patch: SessionPatch): Promise<void> {
    await this.#o.storage.update(session.id, patch);
  }

  #tablesOf(session: ServedSession): Tables {
    let tables = this.#tables.get(session);
    if (tables === undefined) {
      tables = {
        exposed: { tools: new Map(), prompts: new Map() },
        tasks: new Map(),
        subscriptions: new Map(),
        gates: {
          tools: new ListRefreshGate(this.#interval),
          prompts: new ListRefreshGate(this.#interval),
          resources: new ListRefreshGate(this.#interval),
        },
      };
      this.#tables.set(session, tables);
    }
    return tables;
  }
}

function addTemplate(into: TemplateRoute[], workloadId: string, item: Params): void {
  const uriTemplate = item.uriTemplate;
  if (typeof uriTemplate !== "string") return;
  if (into.some((t) => t.workloadId === workloadId && t.uriTemplate === uriTemplate)) return;
  try {
    into.push({ workloadId, uriTemplate, template: new UriTemplate(uriTemplate) });
  } catch {
    // A template the SDK cannot parse matches nothing.
  }
}

function stringParam(params: Params, name: string, label = name): string {
  const value = params[name];
  if (typeof value !== "string") {
    throw new InvalidRequestParamsError(`${label} must be a string`);
  }
  return value;
}

/** Refuses a param that is present but not a JSON object. */
function objectParam(params: Params, name: string): void {
  const value = params[name];
  if (
    value !== undefined &&
    (typeof value !== "object" || value === null || Array.isArray(value))
  ) {
    throw new InvalidRequestParamsError(`${name} must be an object`);
  }
}

function hasMore(page: Record<string, unknown> | undefined): boolean {
  return typeof page?.nextCursor === "string" && page.nextCursor !== "";
}

function isBackendFailure(error: unknown): boolean {
  return error instanceof BackendUnavailableError || error instanceof BackendSessionExpiredError;
}
