import { UriTemplate } from "@modelcontextprotocol/sdk/shared/uriTemplate.js";
import { ListRefreshGate, UnknownResourceError } from "@vmcp/session-core";
import { everyPage } from "./backend-pages.js";
import { listSpec } from "./list-specs.js";
import type { Params } from "./params.js";
import type { ServedSession } from "./session-service.js";

interface TemplateRoute {
  readonly workloadId: string;
  readonly uriTemplate: string;
  readonly template: UriTemplate;
}

/** One session's resource route tables on this replica. */
interface ResourceTables {
  /** A listed URI to the backend that listed it first. */
  resources?: Map<string, string>;
  templates?: TemplateRoute[];
  readonly gate: ListRefreshGate;
}

/**
 * The route tables of resources, per live session on this replica: a URI a backend lists goes
 * to it; otherwise the first backend, in workload ID order, with a template (in its own list
 * order) that the SDK's `UriTemplate` matches against the URI. An unknown URI refreshes both
 * tables (at most once per refresh interval), and a backend's `list_changed` drops them.
 */
export class ResourceRoutes {
  readonly #refreshIntervalMs: number;
  readonly #tables = new WeakMap<object, ResourceTables>();

  /** @param refreshIntervalMs least time between two refreshes an unknown URI triggers, ms. */
  constructor(refreshIntervalMs: number) {
    this.#refreshIntervalMs = refreshIntervalMs;
  }

  /**
   * The backend that serves `uri` (resources/read, subscribe, unsubscribe).
   * @throws {UnknownResourceError} when none lists it or has a template matching it.
   */
  async owner(session: ServedSession, uri: string): Promise<string> {
    const tables = this.#tablesOf(session);
    const find = () => {
      const listed = tables.resources?.get(uri);
      if (listed !== undefined && session.backendIds.includes(listed)) return listed;
      return this.#templateMatch(session, uri);
    };
    let owner = find();
    if (owner === undefined) {
      await this.#refresh(session);
      owner = find();
    }
    if (owner === undefined) throw new UnknownResourceError(uri);
    return owner;
  }

  /**
   * The backend that completes arguments of the resource ref `uri`: the first, in workload ID
   * order, that lists it as a template itself, else one that lists it as a resource.
   * @throws {UnknownResourceError} when none does.
   */
  async completionOwner(session: ServedSession, uri: string): Promise<string> {
    let owner = this.#templateOwner(session, uri);
    if (owner === undefined) {
      await this.#refresh(session);
      owner = this.#templateOwner(session, uri) ?? this.#tablesOf(session).resources?.get(uri);
    }
    if (owner === undefined) throw new UnknownResourceError(uri);
    return owner;
  }

  /** Records the routes of one backend's page of `resources/list` (a URI listed before keeps its backend). */
  recordListed(session: ServedSession, workloadId: string, items: Params[]): void {
    const tables = this.#tablesOf(session);
    tables.resources ??= new Map();
    const routes = tables.resources;
    for (const item of items) {
      if (typeof item.uri === "string" && !routes.has(item.uri)) routes.set(item.uri, workloadId);
    }
  }

  /** Records the templates of one backend's page of `resources/templates/list`. */
  recordTemplates(session: ServedSession, workloadId: string, items: Params[]): void {
    const tables = this.#tablesOf(session);
    tables.templates ??= [];
    const known = tables.templates;
    for (const item of items) addTemplate(known, workloadId, item);
  }

  /** Drops the session's tables (a backend's `list_changed` of resources). */
  forget(session: ServedSession): void {
    const tables = this.#tables.get(session);
    if (tables === undefined) return;
    delete tables.resources;
    delete tables.templates;
  }

  /** Rebuilds both tables from every page of every backend, at most once per refresh interval. */
  async #refresh(session: ServedSession): Promise<void> {
    const tables = this.#tablesOf(session);
    await tables.gate.refresh({ tableExists: tables.resources !== undefined }, async () => {
      const [listed, templated] = await Promise.all([
        everyPage(session, "resources/list", listSpec("resources/list")),
        everyPage(session, "resources/templates/list", listSpec("resources/templates/list")),
      ]);
      const routes = new Map<string, string>();
      for (const [w, items] of listed) {
        for (const item of items) {
          if (typeof item.uri === "string" && !routes.has(item.uri)) routes.set(item.uri, w);
        }
      }
      const templates: TemplateRoute[] = [];
      for (const [w, items] of templated) for (const item of items) addTemplate(templates, w, item);
      tables.resources = routes;
      tables.templates = templates;
    });
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

  #tablesOf(session: ServedSession): ResourceTables {
    let tables = this.#tables.get(session);
    if (tables === undefined) {
      tables = { gate: new ListRefreshGate(this.#refreshIntervalMs) };
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
