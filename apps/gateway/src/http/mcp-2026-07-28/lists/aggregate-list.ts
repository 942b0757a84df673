import { InvalidCursorError } from "../../routing/cursor.js";
import type { ModernBackend, ModernBackendSet } from "../backends/modern-backends.js";
import { aggregateHint, type BackendHint } from "./cache-hints.js";
import type { ModernListCursors } from "./list-cursor.js";
import type { ListKind } from "./list-kinds.js";
import type { ListWalk, RouteTables } from "./route-tables.js";

type Item = Record<string, unknown>;

/** One page of one backend's list; `undefined` when the backend failed (it is left out). */
export type PageFetch = (
  backend: ModernBackend,
  params: Readonly<Record<string, unknown>>,
) => Promise<Record<string, unknown> | undefined>;

/** One client's list request, as the aggregator needs it. */
export interface ListRequest {
  readonly set: ModernBackendSet;
  /** The caller (see `callerKey`): cursors are bound to it. */
  readonly caller: string;
  /** The request's params (`cursor` and anything else, passed on to the backends). */
  readonly params: Readonly<Record<string, unknown>>;
  /** Fetches one backend page with the caller's mirrored `_meta`. */
  readonly fetch: PageFetch;
  /** Walks one backend's whole list (for the naming rule). */
  readonly walk: ListWalk;
}

/** Options of {@link ListAggregator}. */
export interface ListAggregatorOptions {
  readonly cursors: ModernListCursors;
  readonly routes: RouteTables;
  /** Whether the naming rule needs every backend's names before the first page (`prefix-on-conflict`). */
  readonly namesNeedWholeList: boolean;
  /** Upper bound on a page's `ttlMs`, ms. */
  readonly ttlCapMs: number;
  /** Whether lists may depend on who asks (the gateway verifies identities): then `private`. */
  readonly perCaller: boolean;
}

/**
 * Serves the gateway's four lists to 2026-07-28 clients over the modern backends, in workload ID
 * order, page by page as the 2025 router does: a gateway page is the next page of the cursor's
 * backend and, when that ends the backend, the first page of each following backend up to and
 * including the first that has more; the opaque cursor names that backend and its own cursor
 * (`ModernListCursors`, HMAC'd, valid on any replica sharing the binding secret). The first page
 * asks every offering backend's first page, so its caching hint (`aggregateHint`) speaks for all.
 * Tools and prompts are renamed by the naming rule; URIs and templates are recorded for routing.
 * A backend that fails is left out of the page (whose `ttlMs` is then 0).
 */
export class ListAggregator {
  readonly #o: ListAggregatorOptions;

  constructor(options: ListAggregatorOptions) {
    this.#o = options;
  }

  /**
   * One page of `kind` for `request`.
   * @throws {InvalidCursorError} for a forged or foreign cursor, or one whose backend is no
   *   longer served.
   */
  async page(kind: ListKind, request: ListRequest): Promise<Record<string, unknown>> {
    const { set } = request;
    const offering = set.backends.filter((b) => kind.offers(b.discover.capabilities));
    const { cursor, _meta: _, ...rest } = request.params;
    let index = 0;
    let from: string | undefined;
    let earlierScope: "public" | "private" | undefined;
    if (cursor !== undefined) {
      const decoded = this.#o.cursors.decode(request.caller, kind.method, cursor);
      index = offering.findIndex((b) => b.workloadId === decoded.position.workloadId);
      if (index < 0) throw new InvalidCursorError("its backend is no longer served");
      from = decoded.position.backendCursor;
      earlierScope = decoded.scope;
    } else if (kind.named !== undefined && this.#o.namesNeedWholeList) {
      await this.#o.routes.buildNamed(set, kind.named, request.walk);
    }
    const fetchOne = async (backend: ModernBackend, backendCursor: string | undefined) => ({
      backend,
      page: await request.fetch(
        backend,
        backendCursor === undefined ? rest : { ...rest, cursor: backendCursor },
      ),
    });
    const pages: { backend: ModernBackend; page: Record<string, unknown> | undefined }[] = [];
    const first = offering[index];
    if (first !== undefined) {
      if (cursor === undefined) {
        pages.push(...(await Promise.all(offering.map((b) => fetchOne(b, undefined)))));
      } else {
        pages.push(await fetchOne(first, from));
        if (!hasMore(pages[0]?.page)) {
          pages.push(
            ...(await Promise.all(offering.slice(index + 1).map((b) => fetchOne(b, undefined)))),
          );
        }
      }
    }
    const shown: Item[] = [];
    const hints: BackendHint[] = [];
    let following: { workloadId: string; backendCursor: string } | undefined;
    for (const { backend, page } of pages) {
      hints.push(page ?? { ttlMs: 0, cacheScope: "private" });
      if (page === undefined || following !== undefined) continue;
      const items = Array.isArray(page[kind.field]) ? (page[kind.field] as Item[]) : [];
      shown.push(...(await this.#present(kind, request, backend, items)));
      const next = page.nextCursor;
      if (typeof next === "string" && next !== "") {
        following = { workloadId: backend.workloadId, backendCursor: next };
      }
    }
    const hint = aggregateHint(hints, {
      capMs: this.#o.ttlCapMs,
      perCaller: this.#o.perCaller,
      ...(earlierScope === undefined ? {} : { earlierScope }),
    });
    return {
      [kind.field]: shown,
      ...(following === undefined
        ? {}
        : {
            nextCursor: this.#o.cursors.encode(request.caller, hint.cacheScope, {
              list: kind.method,
              ...following,
            }),
          }),
      ttlMs: hint.ttlMs,
      cacheScope: hint.cacheScope,
    };
  }

  async #present(
    kind: ListKind,
    request: ListRequest,
    backend: ModernBackend,
    items: Item[],
  ): Promise<Item[]> {
    if (kind.named !== undefined) {
      return this.#o.routes.present(
        request.set,
        kind.named,
        backend.workloadId,
        items,
        request.walk,
      );
    }
    if (kind.method === "resources/list" || kind.method === "resources/templates/list") {
      this.#o.routes.noteResources(request.set, kind.method, backend.workloadId, items);
    }
    return items;
  }
}

function hasMore(page: Record<string, unknown> | undefined): boolean {
  return typeof page?.nextCursor === "string" && page.nextCursor !== "";
}
