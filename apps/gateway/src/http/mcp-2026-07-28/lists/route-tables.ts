import { UriTemplate } from "@modelcontextprotocol/server";
import {
  exposeNames,
  ListRefreshGate,
  type ToolNaming,
  UnknownPromptError,
  UnknownResourceError,
  UnknownToolError,
} from "@vmcp/session-core";
import type { ModernBackend, ModernBackendSet } from "../backends/modern-backends.js";
import { ListKinds, type ListMethod, type NamedKind } from "./list-kinds.js";
import {
  type ParamHeaderDeclaration,
  paramHeaderDeclarations,
} from "./param-header-declarations.js";

type Item = Record<string, unknown>;

/**
 * Every item of one list of one backend, all pages; `undefined` when the backend failed (it is
 * then left out of the table).
 */
export type ListWalk = (backend: ModernBackend, method: ListMethod) => Promise<Item[] | undefined>;

/** Where a tool or prompt the client names lives. */
export interface NamedRoute {
  readonly backend: ModernBackend;
  /** The backend's own name for it. */
  readonly name: string;
  /** A tool's `Mcp-Param-*` headers (its `inputSchema`'s `x-mcp-header` properties); none for a prompt. */
  readonly paramHeaders: readonly ParamHeaderDeclaration[];
}

interface StoredRoute {
  readonly workloadId: string;
  readonly name: string;
  readonly paramHeaders: readonly ParamHeaderDeclaration[];
}

interface NamedTable {
  /** Exposed name to route. */
  readonly routes: Map<string, StoredRoute>;
  /** `${workloadId}\n${name}` to the exposed name. */
  readonly exposed: Map<string, string>;
}

interface TemplateRoute {
  readonly workloadId: string;
  readonly uriTemplate: string;
  readonly template: UriTemplate;
}

interface Tables {
  readonly key: string;
  tools?: NamedTable;
  prompts?: NamedTable;
  resources?: Map<string, string>;
  templates?: TemplateRoute[];
  readonly gates: Record<"tools" | "prompts" | "resources", ListRefreshGate>;
}

/** Options of {@link RouteTables}. */
export interface RouteTablesOptions {
  /** How tool and prompt names are exposed: the 2025 path's rule (session-core `exposeNames`). */
  readonly naming: ToolNaming;
  /** Least time between two refreshes an unknown name or URI triggers, ms. */
  readonly refreshIntervalMs: number;
  /**
   * Route tables kept at once, one per backend set seen (the modern backends, plus each caller's
   * pooled ones); the least recently used goes beyond.
   * @default 1
   */
  readonly maxTables?: number;
}

/**
 * The routes of the modern path, one set per backend set (the current modern backends, and with
 * each caller's pooled ones; rebuilt whenever a set changes, the least recently used dropped past
 * `maxTables`): exposed tool and prompt names (by the same naming rule as 2025
 * sessions), listed resource URIs and resource templates. Filled by the lists clients page
 * through and, for a name or URI not known yet, by a walk of every backend's list, at most one
 * in flight and none sooner than `refreshIntervalMs` after the last (session-core's
 * `ListRefreshGate`, as the 2025 router does per session). A tool's route carries the
 * `Mcp-Param-*` headers its `inputSchema` declares, as last listed, for the header check of
 * `tools/call`.
 */
export class RouteTables {
  readonly #o: RouteTablesOptions;
  /** By set key, least recently used first. */
  readonly #tables = new Map<string, Tables>();

  constructor(options: RouteTablesOptions) {
    this.#o = options;
  }

  /**
   * Rebuilds the name table of `kind` from a walk of every backend that offers it. The 2025
   * router does the same before the first page of a list under `prefix-on-conflict`: a name's
   * exposed form depends on every backend's names.
   */
  async buildNamed(set: ModernBackendSet, kind: NamedKind, walk: ListWalk): Promise<void> {
    const method: ListMethod = kind === "tools" ? "tools/list" : "prompts/list";
    const offering = set.backends.filter((b) => ListKinds[method].offers(b.discover.capabilities));
    const lists = await Promise.all(offering.map((b) => walk(b, method)));
    const named = offering.map(
      (b, i) =>
        [
          b.workloadId,
          (lists[i] ?? []).filter(
            (item): item is Item & { name: string } => typeof item.name === "string",
          ),
        ] as const,
    );
    const exposed = exposeNames(named, this.#o.naming);
    this.#of(set)[kind] = {
      routes: new Map(
        exposed.map((e) => [e.exposedName, storedRoute(kind, e.workloadId, e.item.name, e.item)]),
      ),
      exposed: new Map(exposed.map((e) => [`${e.workloadId}\n${e.item.name}`, e.exposedName])),
    };
  }

  /**
   * The names items of one backend page are shown under (building the table when a name is not
   * in it yet), and records their routes (a listed tool's `Mcp-Param-*` headers as listed now).
   */
  async present(
    set: ModernBackendSet,
    kind: NamedKind,
    workloadId: string,
    items: readonly Item[],
    walk: ListWalk,
  ): Promise<Item[]> {
    const tables = this.#of(set);
    const lookup = (name: string) => tables[kind]?.exposed.get(`${workloadId}\n${name}`);
    if (items.some((i) => typeof i.name === "string" && lookup(i.name) === undefined)) {
      await this.buildNamed(set, kind, walk);
    }
    return items.map((item) => {
      const name = typeof item.name === "string" ? item.name : "";
      const exposed =
        lookup(name) ?? (this.#o.naming === "always-prefix" ? `${workloadId}__${name}` : name);
      tables[kind] ??= { routes: new Map(), exposed: new Map() };
      const table = tables[kind];
      const known = table.routes.get(exposed);
      // A new name, or the same tool listed again (its schema may have changed).
      if (known === undefined || (known.workloadId === workloadId && known.name === name)) {
        table.routes.set(exposed, storedRoute(kind, workloadId, name, item));
      }
      return { ...item, name: exposed };
    });
  }

  /**
   * The backend and own name of the tool or prompt exposed as `exposed`.
   * @throws {UnknownToolError} / {UnknownPromptError} when no modern backend offers it, even
   *   after a refresh.
   */
  async named(
    set: ModernBackendSet,
    kind: NamedKind,
    exposed: string,
    walk: ListWalk,
  ): Promise<NamedRoute> {
    const tables = this.#of(set);
    const find = () => {
      const route = tables[kind]?.routes.get(exposed);
      const backend = route && set.backends.find((b) => b.workloadId === route.workloadId);
      return route && backend
        ? { backend, name: route.name, paramHeaders: route.paramHeaders }
        : undefined;
    };
    let found = find();
    if (found === undefined) {
      await tables.gates[kind].refresh({ tableExists: tables[kind] !== undefined }, () =>
        this.buildNamed(set, kind, walk),
      );
      found = find();
    }
    if (found === undefined) {
      throw kind === "tools" ? new UnknownToolError(exposed) : new UnknownPromptError(exposed);
    }
    return found;
  }

  /** Records the URIs and templates of one backend's `resources/list` or templates page. */
  noteResources(
    set: ModernBackendSet,
    method: "resources/list" | "resources/templates/list",
    workloadId: string,
    items: readonly Item[],
  ): void {
    const tables = this.#of(set);
    if (method === "resources/list") {
      tables.resources ??= new Map();
      const routes = tables.resources;
      for (const item of items) {
        if (typeof item.uri === "string" && !routes.has(item.uri)) routes.set(item.uri, workloadId);
      }
    } else {
      tables.templates ??= [];
      const templates = tables.templates;
      for (const item of items) addTemplate(templates, workloadId, item);
    }
  }

  /**
   * The backend serving `uri`: the one that lists it, else the first (in workload ID order) with
   * a template matching it.
   * @throws {UnknownResourceError} when none does, even after a refresh.
   */
  async resourceOwner(set: ModernBackendSet, uri: string, walk: ListWalk): Promise<ModernBackend> {
    const tables = this.#of(set);
    const find = () => {
      const listed = tables.resources?.get(uri);
      const byList = listed && set.backends.find((b) => b.workloadId === listed);
      if (byList) return byList;
      return set.backends.find((b) =>
        (tables.templates ?? []).some(
          (t) => t.workloadId === b.workloadId && t.template.match(uri) !== null,
        ),
      );
    };
    let owner = find();
    if (owner === undefined) {
      await this.#refreshResources(set, walk);
      owner = find();
    }
    if (owner === undefined) throw new UnknownResourceError(uri);
    return owner;
  }

  /**
   * The backend that lists the template `uriTemplate` itself (a `ref/resource` completion), or,
   * failing that, the one that lists it as a resource URI.
   * @throws {UnknownResourceError} when none does, even after a refresh.
   */
  async templateOwner(
    set: ModernBackendSet,
    uriTemplate: string,
    walk: ListWalk,
  ): Promise<ModernBackend> {
    const tables = this.#of(set);
    const find = () =>
      set.backends.find((b) =>
        (tables.templates ?? []).some(
          (t) => t.workloadId === b.workloadId && t.uriTemplate === uriTemplate,
        ),
      ) ?? set.backends.find((b) => b.workloadId === tables.resources?.get(uriTemplate));
    let owner = find();
    if (owner === undefined) {
      await this.#refreshResources(set, walk);
      owner = find();
    }
    if (owner === undefined) throw new UnknownResourceError(uriTemplate);
    return owner;
  }

  async #refreshResources(set: ModernBackendSet, walk: ListWalk): Promise<void> {
    const tables = this.#of(set);
    await tables.gates.resources.refresh(
      { tableExists: tables.resources !== undefined },
      async () => {
        const offering = set.backends.filter(
          (b) => b.discover.capabilities.resources !== undefined,
        );
        const [listed, templated] = await Promise.all([
          Promise.all(offering.map((b) => walk(b, "resources/list"))),
          Promise.all(offering.map((b) => walk(b, "resources/templates/list"))),
        ]);
        const resources = new Map<string, string>();
        const templates: TemplateRoute[] = [];
        offering.forEach((b, i) => {
          for (const item of listed[i] ?? []) {
            if (typeof item.uri === "string" && !resources.has(item.uri)) {
              resources.set(item.uri, b.workloadId);
            }
          }
          for (const item of templated[i] ?? []) addTemplate(templates, b.workloadId, item);
        });
        tables.resources = resources;
        tables.templates = templates;
      },
    );
  }

  #of(set: ModernBackendSet): Tables {
    let tables = this.#tables.get(set.key);
    if (tables === undefined) {
      const interval = this.#o.refreshIntervalMs;
      tables = {
        key: set.key,
        gates: {
          tools: new ListRefreshGate(interval),
          prompts: new ListRefreshGate(interval),
          resources: new ListRefreshGate(interval),
        },
      };
    } else {
      this.#tables.delete(set.key);
    }
    this.#tables.set(set.key, tables);
    const max = this.#o.maxTables ?? 1;
    for (const key of this.#tables.keys()) {
      if (this.#tables.size <= max) break;
      this.#tables.delete(key);
    }
    return tables;
  }
}

function storedRoute(kind: NamedKind, workloadId: string, name: string, item: Item): StoredRoute {
  const paramHeaders = kind === "tools" ? paramHeaderDeclarations(item.inputSchema) : [];
  return { workloadId, name, paramHeaders };
}

function addTemplate(into: TemplateRoute[], workloadId: string, item: Item): void {
  const uriTemplate = item.uriTemplate;
  if (typeof uriTemplate !== "string") return;
  if (into.some((t) => t.workloadId === workloadId && t.uriTemplate === uriTemplate)) return;
  try {
    into.push({ workloadId, uriTemplate, template: new UriTemplate(uriTemplate) });
  } catch {
    // A template the SDK cannot parse matches nothing.
  }
}
