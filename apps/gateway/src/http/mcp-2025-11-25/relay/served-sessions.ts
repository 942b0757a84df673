import type { ServedSession } from "../../routing/session-service.js";

/** The kind of list a `list_changed` names. */
export type ListKind = "tools" | "prompts" | "resources";

/**
 * The sessions this replica served, held weakly by ID, so that a backend's `list_changed` (from a
 * backend here, or over the bus from one on another replica) finds the session whose aggregated
 * lists to refresh before the client hears of the change.
 */
export class ServedSessions {
  readonly #sessions = new Map<string, WeakRef<ServedSession>>();
  readonly #onListChanged: ((session: ServedSession, kind: ListKind) => void) | undefined;

  /** @param onListChanged refreshes the aggregated lists of `kind` (the router's `forgetList`). */
  constructor(onListChanged?: (session: ServedSession, kind: ListKind) => void) {
    this.#onListChanged = onListChanged;
  }

  /** Records that `session` is served here (every 1024th new one sweeps the collected). */
  remember(session: ServedSession): void {
    if (this.#sessions.get(session.id)?.deref() === session) return;
    this.#sessions.set(session.id, new WeakRef(session));
    if (this.#sessions.size % 1024 === 0) {
      for (const [id, ref] of this.#sessions)
        if (ref.deref() === undefined) this.#sessions.delete(id);
    }
  }

  /** The session was deleted. */
  forget(sessionId: string): void {
    this.#sessions.delete(sessionId);
  }

  /** A `list_changed` notification (`method`) of `sessionId`: its lists of that kind are refreshed. */
  listChanged(sessionId: string, method: string): void {
    const session = this.#sessions.get(sessionId)?.deref();
    const kind = method.split("/")[1] as ListKind;
    if (session !== undefined) this.#onListChanged?.(session, kind);
  }
}
