import {
  exposeNames,
  ListRefreshGate,
  type ToolNaming,
  UnknownPromptError,
  UnknownToolError,
} from "@vmcp/session-core";
import { everyPage } from "./backend-pages.js";
import { listSpec, type NamedKind } from "./list-specs.js";
import type { Params } from "./params.js";
import type { ServedSession } from "./session-service.js";

/** Where an exposed tool or prompt name leads: its backend and the backend's own name. */
export interface NamedRoute {
  readonly workloadId: string;
  readonly name: string;
}

/** One session's named route tables on this replica. */
interface NamedTables {
  tools?: Map<string, NamedRoute>;
  prompts?: Map<string, NamedRoute>;
  /** `${workloadId}\n${name}` to the exposed name, per kind. */
  exposed: Record<NamedKind, Map<string, string>>;
  readonly gates: Record<NamedKind, ListRefreshGate>;
}

/**
 * The route tables of tools and prompts, per live session on this replica: exposed name to
 * backend and name, by the factory's naming rule. A table is built from every page of every
 * backend; an unknown name rebuilds it (at most once per refresh interval, one rebuild in
 * flight), and a backend's `list_changed` drops it.
 */
export class NamedRoutes {
  /** The naming rule (the factory's). */
  readonly naming: ToolNaming;
  readonly #refreshIntervalMs: number;
  readonly #tables = new WeakMap<object, NamedTables>();

  /** @param refreshIntervalMs least time between two rebuilds an unknown name triggers, ms. */
  constructor(naming: ToolNaming, refreshIntervalMs: number) {
    this.naming = naming;
    this.#refreshIntervalMs = refreshIntervalMs;
  }

  /**
   * The route of the exposed name of a tool or prompt, rebuilding the table when it is unknown
   * or names a backend that left.
   * @throws {UnknownToolError} / {UnknownPromptError} when no backend offers it.
   */
  async route(session: ServedSession, kind: NamedKind, exposed: string): Promise<NamedRoute> {
    const tables = this.#tablesOf(session);
    let route = tables[kind]?.get(exposed);
    if (route === undefined || !session.backendIds.includes(route.workloadId)) {
      await tables.gates[kind].refresh({ tableExists: tables[kind] !== undefined }, () =>
        this.build(session, kind),
      );
      route = tables[kind]?.get(exposed);
    }
    if (route === undefined || !session.backendIds.includes(route.workloadId)) {
      throw kind === "tools" ? new UnknownToolError(exposed) : new UnknownPromptError(exposed);
    }
    return route;
  }

  /** Rebuilds the route table of `kind` from every page of every backend that offers it. */
  async build(session: ServedSession, kind: NamedKind): Promise<void> {
    const method = kind === "tools" ? "tools/list" : "prompts/list";
    const perBackend = await everyPage(session, method, listSpec(method));
    const named = perBackend.map(
      ([w, items]) =>
        [
          w,
          items.filter((i): i is Params & { name: string } => typeof i.name === "string"),
        ] as const,
    );
    const exposed = exposeNames(named, this.naming);
    const tables = this.#tablesOf(session);
    tables[kind] = new Map(
      exposed.map((e) => [e.exposedName, { workloadId: e.workloadId, name: e.item.name }]),
    );
    tables.exposed[kind] = new Map(
      exposed.map((e) => [`${e.workloadId}\n${e.item.name}`, e.exposedName]),
    );
  }

  /**
   * The items of one backend's page of tools or prompts as the client sees them (renamed), their
   * routes recorded. A name the table does not know yet rebuilds it first.
   */
  async present(
    session: ServedSession,
    kind: NamedKind,
    workloadId: string,
    items: Params[],
  ): Promise<Params[]> {
    const tables = this.#tablesOf(session);
    const exposedOf = (name: string) => tables.exposed[kind].get(`${workloadId}\n${name}`);
    if (items.some((i) => typeof i.name === "string" && exposedOf(i.name) === undefined)) {
      await this.build(session, kind);
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

  /** Drops the session's table of `kind` (a backend's `list_changed`). */
  forget(session: ServedSession, kind: NamedKind): void {
    const tables = this.#tables.get(session);
    if (tables === undefined) return;
    delete tables[kind];
    tables.exposed[kind] = new Map();
  }

  /** The exposed name of a backend's own name when no table knows it. */
  #soloName(workloadId: string, name: string): string {
    return this.naming === "always-prefix" ? `${workloadId}__${name}` : name;
  }

  #tablesOf(session: ServedSession): NamedTables {
    let tables = this.#tables.get(session);
    if (tables === undefined) {
      tables = {
        exposed: { tools: new Map(), prompts: new Map() },
        gates: {
          tools: new ListRefreshGate(this.#refreshIntervalMs),
          prompts: new ListRefreshGate(this.#refreshIntervalMs),
        },
      };
      this.#tables.set(session, tables);
    }
    return tables;
  }
}
