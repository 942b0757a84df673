import type { BackendConnection } from "../backends/backend-connector.js";
import type { MultiSessionFactory } from "./multi-session-factory.js";
import type { MultiSession } from "./session-operations.js";

/** The pause before the second recovery attempt, in ms; it doubles for each later one. */
export const BackendRecoveryBackoffMs = 100;

/** What {@link BackendRecovery} works with: the manager's factory, bound and store writes. */
export interface BackendRecoveryHost {
  readonly factory: MultiSessionFactory;
  /** Fresh connects tried before a backend is declared gone (`backendRecoveryAttempts`). */
  readonly attempts: number;
  /** Whether the manager has closed: no more tries, and the stored list is left alone. */
  isClosed(): boolean;
  /** Removes a backend gone for good from the session and its stored record. */
  removeBackend(id: string, workloadId: string): Promise<void>;
  /** Writes a recovered backend's new session ID back to the stored record. */
  writeBack(id: string, connection: BackendConnection): Promise<void>;
}

/**
 * Backend expiry for a `SessionManager`: a backend whose session expired or whose connection was
 * lost gets a fresh connect, tried up to `attempts` times with a doubling pause within one
 * `connectTimeoutMs`; the new session ID is written back, or, when every try fails, the backend
 * leaves the session and its stored record. Concurrent calls for one backend of one session share
 * one recovery.
 */
export class BackendRecovery {
  readonly #host: BackendRecoveryHost;
  readonly #recovering = new Map<string, Promise<boolean>>();

  constructor(host: BackendRecoveryHost) {
    this.#host = host;
  }

  /** Recovers `workloadId` in `session`: whether it is connected again. */
  recover(session: MultiSession, workloadId: string): Promise<boolean> {
    const key = `${session.id}\n${workloadId}`;
    let pending = this.#recovering.get(key);
    if (pending === undefined) {
      pending = (async () => {
        const connection = await this.#connectWithRetries(workloadId, session);
        if (connection === undefined) {
          // Gone for good: every replica should see the shorter list. A manager closing
          // meanwhile leaves the stored list alone.
          if (!this.#host.isClosed()) await this.#host.removeBackend(session.id, workloadId);
          return false;
        }
        await session.replaceBackend(connection);
        await this.#host.writeBack(session.id, connection);
        return true;
      })().finally(() => this.#recovering.delete(key));
      this.#recovering.set(key, pending);
    }
    return pending;
  }

  /**
   * A fresh connection to `workloadId`, trying up to `attempts` times with a doubling pause,
   * within one `connectTimeoutMs` from the first try; `undefined` when every try failed (the
   * backend is gone for good) or the manager closed meanwhile.
   */
  async #connectWithRetries(
    workloadId: string,
    session: MultiSession,
  ): Promise<BackendConnection | undefined> {
    const { factory, attempts } = this.#host;
    const { id: sessionId, client } = session;
    const started = performance.now();
    for (let attempt = 1; ; attempt++) {
      try {
        return await factory.connectBackend(
          workloadId,
          client === undefined
            ? { sessionId }
            : {
                sessionId,
                clientCapabilities: client.capabilities,
                clientInfo: client.clientInfo,
              },
        );
      } catch {
        const pause = BackendRecoveryBackoffMs * 2 ** (attempt - 1);
        const spent = performance.now() - started + pause;
        if (attempt >= attempts || spent >= factory.connectTimeoutMs) return undefined;
        await new Promise((resolve) => setTimeout(resolve, pause));
        if (this.#host.isClosed()) return undefined;
      }
    }
  }
}
