import type { SessionPatch, SessionStorage } from "@vmcp/session-core";
import {
  MetadataKeyLoggingLevel,
  parseSubscriptionKey,
  subscriptionKey,
  taskRouteKey,
} from "@vmcp/session-keys";
import { UnknownTaskError } from "./router-errors.js";
import type { ServedSession } from "./session-service.js";
import type { StoredMetadataReader } from "./stored-metadata.js";

/** What one session's stored state looks like on this replica. */
interface StateTables {
  /** Task ID to the backend that made it. */
  readonly tasks: Map<string, string>;
  /** Subscribed resource URI to the backend that serves it. */
  readonly subscriptions: Map<string, string>;
  /** Set once the stored level and subscriptions were applied on this replica. */
  applied?: Promise<void>;
}

/**
 * What a session's requests leave in its stored metadata, so that another replica that restores
 * it serves it the same: the logging level set, the resources subscribed (and their backends),
 * and the backend of each task made. Kept in memory too, per live session on this replica; a
 * replica that restores a session applies the stored level and subscriptions once, before its
 * first request.
 */
export class StoredSessionState {
  readonly #storage: Pick<SessionStorage, "update">;
  readonly #stored: StoredMetadataReader;
  readonly #tables = new WeakMap<object, StateTables>();

  /**
   * @param storage where the state is written.
   * @param stored where it is read back when this replica lacks it (another replica stored it).
   */
  constructor(storage: Pick<SessionStorage, "update">, stored: StoredMetadataReader) {
    this.#storage = storage;
    this.#stored = stored;
  }

  /** Marks a session made on this replica: nothing stored needs applying again. */
  adopt(session: ServedSession): void {
    this.#tablesOf(session).applied = Promise.resolve();
  }

  /**
   * On the first request a replica serves for a session it restored: sets the stored logging
   * level on every backend that offers logging and renews every stored subscription. A backend
   * that refuses is logged by the caller's error path only when the request itself needs it:
   * here failures are ignored (the request is still served).
   */
  applyStored(session: ServedSession): Promise<void> {
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

  /** Stores the logging level the client set on the backends. */
  async levelSet(session: ServedSession, level: string): Promise<void> {
    await this.#persist(session, { set: { [MetadataKeyLoggingLevel]: level } });
  }

  /** A task made by `workloadId`, seen in a list: remembered on this replica only. */
  taskSeen(session: ServedSession, taskId: string, workloadId: string): void {
    this.#tablesOf(session).tasks.set(taskId, workloadId);
  }

  /** A task made by `workloadId` for a `tools/call`: remembered and stored. */
  async taskMade(session: ServedSession, taskId: string, workloadId: string): Promise<void> {
    this.#tablesOf(session).tasks.set(taskId, workloadId);
    await this.#persist(session, { set: { [taskRouteKey(taskId)]: workloadId } });
  }

  /**
   * The backend of a task: remembered here, else in the session's metadata, else in the stored
   * record (as of the request's `get`: no store read while the session is live here).
   * @throws {UnknownTaskError} when none is known or its backend left the session.
   */
  async taskOwner(session: ServedSession, taskId: string): Promise<string> {
    const key = taskRouteKey(taskId);
    const owner =
      this.#tablesOf(session).tasks.get(taskId) ??
      session.getMetadata()[key] ??
      (await this.#stored(session.id))?.[key];
    if (owner === undefined || !session.backendIds.includes(owner)) {
      throw new UnknownTaskError(taskId);
    }
    this.#tablesOf(session).tasks.set(taskId, owner);
    return owner;
  }

  /**
   * The backend a resource was subscribed at: remembered here, else in the session's metadata,
   * else in the stored record (as of the request's `get`, like {@link taskOwner}).
   */
  async subscriptionOwner(session: ServedSession, uri: string): Promise<string | undefined> {
    const key = subscriptionKey(uri);
    const owner = this.#tablesOf(session).subscriptions.get(uri) ?? session.getMetadata()[key];
    if (owner !== undefined) return owner;
    return (await this.#stored(session.id))?.[key];
  }

  /** A resource subscribed at `owner`: remembered and stored. */
  async subscribed(session: ServedSession, uri: string, owner: string): Promise<void> {
    this.#tablesOf(session).subscriptions.set(uri, owner);
    await this.#persist(session, { set: { [subscriptionKey(uri)]: owner } });
  }

  /** A resource unsubscribed: forgotten and removed from the store. */
  async unsubscribed(session: ServedSession, uri: string): Promise<void> {
    this.#tablesOf(session).subscriptions.delete(uri);
    await this.#persist(session, { remove: [subscriptionKey(uri)] });
  }

  async #persist(session: ServedSession, patch: SessionPatch): Promise<void> {
    await this.#storage.update(session.id, patch);
  }

  #tablesOf(session: ServedSession): StateTables {
    let tables = this.#tables.get(session);
    if (tables === undefined) {
      tables = { tasks: new Map(), subscriptions: new Map() };
      this.#tables.set(session, tables);
    }
    return tables;
  }
}
