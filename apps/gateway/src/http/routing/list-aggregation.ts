import { isBackendFailure } from "./backend-pages.js";
import { type CursorCodec, InvalidCursorError } from "./cursor.js";
import { type ListSpec, offeringBackends } from "./list-specs.js";
import type { NamedRoutes } from "./named-routes.js";
import type { Params } from "./params.js";
import type { ResourceRoutes } from "./resource-routes.js";
import type { ServedSession } from "./session-service.js";
import type { StoredSessionState } from "./session-state.js";

/** Options of {@link ListAggregation}. */
export interface ListAggregationOptions {
  /** Makes and checks the gateway's cursors. */
  readonly cursors: CursorCodec;
  /** Renames tools and prompts, and records their routes. */
  readonly named: NamedRoutes;
  /** Records the routes of listed resources and templates. */
  readonly resources: ResourceRoutes;
  /** Remembers the backend of each listed task. */
  readonly state: StoredSessionState;
}

/**
 * The five lists of a session, aggregated page by page over its backends with an opaque cursor
 * naming the backend and its own cursor. One gateway page is the next page of the cursor's
 * backend; when that ends the backend, the first page of each following backend (asked in
 * parallel), up to and including the first that has more pages. What a page lists is recorded
 * in the route tables.
 */
export class ListAggregation {
  readonly #cursors: CursorCodec;
  readonly #named: NamedRoutes;
  readonly #resources: ResourceRoutes;
  readonly #state: StoredSessionState;

  constructor(options: ListAggregationOptions) {
    this.#cursors = options.cursors;
    this.#named = options.named;
    this.#resources = options.resources;
    this.#state = options.state;
  }

  /**
   * One gateway page of the list `method`.
   * @throws {InvalidCursorError} for a forged, foreign or stale cursor.
   */
  async list(
    session: ServedSession,
    method: string,
    spec: ListSpec,
    params: Params,
    signal: AbortSignal,
  ): Promise<unknown> {
    const backends = offeringBackends(session, spec);
    const { cursor, ...rest } = params;
    let index = 0;
    let backendCursor: string | undefined;
    if (cursor !== undefined) {
      if (typeof cursor !== "string") throw new InvalidCursorError("a cursor is a string");
      const position = this.#cursors.decode(session.id, method, cursor);
      index = backends.indexOf(position.workloadId);
      if (index < 0) throw new InvalidCursorError("its backend is no longer in the session");
      backendCursor = position.backendCursor;
    } else if (spec.named !== undefined && this.#named.naming === "prefix-on-conflict") {
      // A name's exposed form depends on every backend's names: know them all first.
      await this.#named.build(session, spec.named);
    }
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
        : { nextCursor: this.#cursors.encode(session.id, { list: method, ...following }) }),
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
    if (spec.named !== undefined) {
      return this.#named.present(session, spec.named, workloadId, items);
    }
    if (method === "resources/list") {
      this.#resources.recordListed(session, workloadId, items);
    } else if (method === "resources/templates/list") {
      this.#resources.recordTemplates(session, workloadId, items);
    } else if (method === "tasks/list") {
      for (const item of items) {
        if (typeof item.taskId === "string") this.#state.taskSeen(session, item.taskId, workloadId);
      }
    }
    return items;
  }
}

function hasMore(page: Record<string, unknown> | undefined): boolean {
  return typeof page?.nextCursor === "string" && page.nextCursor !== "";
}
