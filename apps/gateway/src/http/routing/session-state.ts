import type { SessionPatch, SessionStorage } from "@vmcp/session-core";
import {
  backendProtocolKey,
  MetadataKeyLoggingLevel,
  parseSubscriptionKey,
  subscriptionKey,
  taskRouteKey,
} from "@vmcp/session-keys";
import { StatelessRevision } from "../stateless-backends/stateless-connection.js";
import { UnknownTaskError } from "./router-errors.js";
import type { ServedSession } from "./session-service.js";
import type { StoredMetadataReader } from "./stored-metadata.js";

/** What one session's stored state looks like on this replica. */
interface StateTables {
  /** Task ID to the backend that made it. */
  readonly tasks: Map<string, string>;
  /** Subscribed resource URI to the backend that serves it. */
  readonly subscriptions: Map<string, string>;
  /**
   * The subscriptions to modern backends seen in the stored record (by URI): one of them that
   * leaves the record was unsubscribed on another replica, and is released here too.
   */
  readonly storedModern: Set<string>;
  /** Set once the stored level and subscriptions were applied on this replica. */
  applied?: Promise<void>;
}

/**
 * What a session's requests leave in its stored metadata, so that another replica that restores
 * it serves it the same: the logging level set, the resources subscribed (and their backends),
 * and the backend of each task made. Kept in memory too, per live session on this replica; a
 * replica that restores a session applies the stored level and subscriptions once, before its
 * first request.
 *
 * A subscription to a modern (2026-07-28) backend lives on the replica, not at the backend: each
 * replica that holds the session follows it on its own listen. So before each request, the
 * subscriptions to modern backends in the stored record (as the request's `get` loaded it: no
 * extra store read) are followed here when another replica took them, and released here when
 * another replica removed them (see {@link applyStored}).
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
  async applyStored(session: ServedSession): Promise<void> {
    const tables = this.#tablesOf(session);
    await this.#applyOnce(session, tables);
    await this.#followStoredModern(session, tables);
  }

  #applyOnce(session: ServedSession, tables: StateTables): Promise<void> {
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

  /**
   * Follows here the subscriptions to modern backends that another replica stored, and releases
   * here those another replica removed (see the class). Failures are ignored, as in
   * {@link applyStored}.
   */
  async #followStoredModern(session: ServedSession, tables: StateTables): Promise<void> {
    // A session that reaches no modern backend has nothing to follow: no read at all.
    const own = session.getMetadata();
    if (!session.backendIds.some((id) => own[backendProtocolKey(id)] === StatelessRevision)) return;
    const stored = await this.#stored(session.id).catch(() => undefined);
    if (stored === undefined) return;
    const modern = new Map<string, string>();
    for (const [key, owner] of Object.entries(stored)) {
      const uri = parseSubscriptionKey(key);
      if (uri === undefined || !session.backendIds.includes(owner)) continue;
      if (stored[backendProtocolKey(owner)] === StatelessRevision) modern.set(uri, owner);
    }
    const work: Promise<unknown>[] = [];
    for (const [uri, owner] of modern) {
      tables.storedModern.add(uri);
      if (tables.subscriptions.has(uri)) continue;
      tables.subscriptions.set(uri, owner);
      work.push(session.request(owner, "resources/subscribe", { uri }));
    }
    for (const uri of [...tables.storedModern]) {
      if (modern.has(uri)) continue;
      tables.storedModern.delete(uri);
      const owner = tables.subscriptions.get(uri);
      if (owner === undefined) continue;
      tables.subscriptions.delete(uri);
      work.push(session.request(owner, "resources/unsubscribe", { uri }));
    }
    await Promise.allSettled(work);
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
    this.#tablesOf(session).storedModern.delete(uri);
    await this.#persist(session, { remove: [subscriptionKey(uri)] });
  }

  async #persist(session: ServedSession, patch: SessionPatch): Promise<void> {
    await this.#storage.update(session.id, patch);
  }

  #tablesOf(session: ServedSession): StateTables {
    let tables = this.#tables.get(session);
    if (tables === undefined) {
      tables = { tasks: new Map(), subscriptions: new Map(), storedModern: new Set() };
      this.#tables.set(session, tables);
    }
    return tables;
  }
}
