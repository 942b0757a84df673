import type { SessionOwner, SessionStorage } from "@vmcp/session-core";
import { UnknownTaskError } from "../../routing/router-errors.js";
import { TaskIdConflictError } from "./task-route-errors.js";
import {
  decodeTaskRoute,
  encodeTaskRoute,
  ownsTaskRoute,
  TaskRouteKeys,
} from "./task-route-record.js";

/** Options of {@link TaskRoutes}. */
export interface TaskRoutesOptions {
  /** The configured store, shared by every replica: the routes live there. */
  readonly storage: Pick<SessionStorage, "load" | "create">;
  /** The binding secret every replica shares; default a fixed key (see `TaskRouteKeys`). */
  readonly secret?: string | Uint8Array;
  /**
   * Longest life of a route record, ms: a task whose `ttlMs` is longer, unlimited (`null`) or not
   * given is routed for this long.
   */
  readonly maxTtlMs: number;
  /** The clock, epoch ms; default `Date.now`. */
  readonly now?: () => number;
}

/**
 * Where the tasks of the tasks extension live, for 2026-07-28 clients on any replica: one record
 * per task ID in the configured store (see `encodeTaskRoute`: the backend and the owner's
 * binding), created when a backend answers a `tools/call` with a task, and expiring with the
 * task's own `ttlMs` (at most `maxTtlMs`). `tasks/get`, `tasks/update` and `tasks/cancel` find
 * the backend through it, for the owner only: to anyone else a task is unknown, exactly as one
 * that never existed.
 */
export class TaskRoutes {
  readonly #o: TaskRoutesOptions;
  readonly #keys: TaskRouteKeys;
  readonly #now: () => number;

  /** @throws {RangeError} for a `maxTtlMs` that is no positive integer. */
  constructor(options: TaskRoutesOptions) {
    if (!Number.isSafeInteger(options.maxTtlMs) || options.maxTtlMs <= 0) {
      throw new RangeError(`maxTtlMs must be a positive integer, got ${options.maxTtlMs}`);
    }
    this.#o = options;
    this.#keys = new TaskRouteKeys(options.secret);
    this.#now = options.now ?? Date.now;
  }

  /**
   * Records that the task `taskId`, made for `owner`, lives on `workloadId`, for `ttlMs` (the
   * task's own, in ms; at most `maxTtlMs`, which is also used when it is absent). Resolves once
   * the record is in the store, so a `tasks/get` on any replica finds it (the extension's
   * "durably created" rule). Recording the same route again is a no-op.
   * @throws {TaskIdConflictError} when the ID already routes to another backend or owner.
   * @throws the store's typed errors (unavailable, closed), unchanged.
   */
  async record(
    taskId: string,
    workloadId: string,
    owner: SessionOwner | undefined,
    ttlMs?: number,
  ): Promise<void> {
    const id = this.#keys.recordId(taskId);
    const life = ttlMs === undefined ? this.#o.maxTtlMs : Math.min(ttlMs, this.#o.maxTtlMs);
    const metadata = encodeTaskRoute(taskId, workloadId, owner, this.#keys);
    if (await this.#o.storage.create({ id, metadata, expiresAt: this.#now() + life })) return;
    const existing = await this.#o.storage.load(id);
    const route = existing === undefined ? undefined : decodeTaskRoute(taskId, existing.metadata);
    if (route?.workloadId === workloadId && ownsTaskRoute(route, owner, this.#keys)) return;
    // Expired between the create and the load: one more try.
    if (
      existing === undefined &&
      (await this.#o.storage.create({ id, metadata, expiresAt: this.#now() + life }))
    ) {
      return;
    }
    throw new TaskIdConflictError(taskId, workloadId);
  }

  /**
   * The workload ID of the backend holding `taskId`, for its owner.
   * @throws {UnknownTaskError} when no route is stored, or it belongs to another caller (the
   *   two are answered alike, so a task ID reveals nothing to anyone but its owner).
   * @throws the store's typed errors (unavailable, closed), unchanged.
   */
  async find(taskId: string, owner: SessionOwner | undefined): Promise<string> {
    const record = await this.#o.storage.load(this.#keys.recordId(taskId));
    const route = record === undefined ? undefined : decodeTaskRoute(taskId, record.metadata);
    if (route === undefined || !ownsTaskRoute(route, owner, this.#keys)) {
      throw new UnknownTaskError(taskId);
    }
    return route.workloadId;
  }
}
