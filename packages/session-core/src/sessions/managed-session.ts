import type {
  CallToolResult,
  GetPromptResult,
  Prompt,
  ReadResourceResult,
  Resource,
  Tool,
} from "@modelcontextprotocol/sdk/types.js";
import { decodeIdentity } from "@vmcp/session-keys";
import type { BackendConnection, BackendRequestOptions } from "../backends/backend-connector.js";
import { BackendSessionExpiredError, BackendUnavailableError } from "../backends/errors.js";
import type { SessionMetadata } from "../storage/session-record.js";
import type { ClientInfoRecord } from "./client-info.js";
import type { SessionOwner } from "./identity-binding.js";
import { beginActivity, type SessionActivity } from "./idle-sweeper.js";
import type { BackendInfo, MultiSession, SessionOperations } from "./session-operations.js";

/**
 * A session held by a `SessionManager`: the {@link SessionOperations} of its live
 * {@link MultiSession}, and on top of them it:
 * - recovers a backend whose session expired (404) or whose connection was lost: one fresh
 *   `initialize`, the new backend session ID written back to storage, and the call retried once;
 *   when the fresh connect fails too, the backend leaves the session and its stored metadata
 *   (`removeBackend`): a routed call then throws the original error, a list (tools, resources,
 *   prompts) answers from the remaining backends;
 * - `removeBackend` removes a backend from the session and from its stored metadata;
 * - `evict()` lets go of the session on this replica only (its local connections close);
 * - `terminate()` ends the session everywhere: storage, local cache, backend sessions;
 * - records every request in flight, so the idle sweeper never closes a session in use.
 *
 * A bare `MultiSession`'s `dropBackend` and `close` act locally only; the different names say so.
 */
export interface ManagedSession extends SessionOperations {
  /** The identity the session is bound to, when it has an owner (from the stored metadata). */
  readonly owner: SessionOwner | undefined;
  /**
   * Removes one backend from the session on every replica: from the stored metadata (one atomic
   * update, see `SessionManager.removeBackend`) and from this live session. No-op when absent.
   */
  removeBackend(workloadId: string): Promise<void>;
  /**
   * Evicts the session from the manager's local cache, closing its local backend connections;
   * the stored session and the backend sessions live on, and the next `get` restores it.
   */
  evict(): Promise<void>;
  /** Ends the session everywhere: storage, every replica's cache (at its next `get`), backend sessions. */
  terminate(): Promise<void>;
}

/** How {@link ManagedMultiSession} runs one backend operation. */
interface RecoveryOptions {
  /**
   * What happens when the backend the operation met could not be recovered and left the session:
   * a routed call (tool, resource, prompt) needs that backend, so it rethrows the original error
   * (`"throw"`); a list runs once more over the remaining backends (`"run-again"`).
   */
  readonly whenBackendGone: "throw" | "run-again";
}

/** What a managed session needs from its manager. Internal. */
export interface ManagedSessionHost {
  recoverBackend(session: MultiSession, workloadId: string): Promise<boolean>;
  writeBackBackend(session: MultiSession, connection: BackendConnection): Promise<void>;
  removeBackend(id: string, workloadId: string): Promise<void>;
  evict(id: string): Promise<void>;
  terminateOwned(id: string): Promise<boolean>;
}

/** The `ManagedSession` implementation. Internal: made by `SessionManager`. */
export class ManagedMultiSession implements ManagedSession {
  readonly #inner: MultiSession;
  readonly #host: ManagedSessionHost;
  readonly #activity: SessionActivity;
  readonly #identity: Readonly<SessionMetadata>;

  /**
   * @param init.activity where each request (backend recovery included) is recorded, so the idle
   *   sweeper never closes a session with a request in flight.
   * @param init.identity the keys `create` stored on top of a freshly made session's metadata (the
   *   identity binding, and any extra metadata it was given). Default none.
   */
  constructor(
    inner: MultiSession,
    host: ManagedSessionHost,
    init: { readonly activity: SessionActivity; readonly identity?: Readonly<SessionMetadata> },
  ) {
    this.#inner = inner;
    this.#host = host;
    this.#activity = init.activity;
    this.#identity = init.identity ?? {};
  }

  get id(): string {
    return this.#inner.id;
  }

  get backendIds(): readonly string[] {
    return this.#inner.backendIds;
  }

  get client(): ClientInfoRecord | undefined {
    return this.#inner.client;
  }

  get owner(): SessionOwner | undefined {
    // The manager checked these keys (IdentityBinder.verify) before it handed the session out.
    const identity = decodeIdentity(this.getMetadata());
    return identity === undefined
      ? undefined
      : { issuer: identity.issuer, subject: identity.subject };
  }

  getMetadata(): Record<string, string> {
    return { ...this.#inner.getMetadata(), ...this.#identity };
  }

  listTools(options?: BackendRequestOptions): Promise<Tool[]> {
    return this.#recovering(() => this.#inner.listTools(options), { whenBackendGone: "run-again" });
  }

  callTool(
    name: string,
    args?: Record<string, unknown>,
    options?: BackendRequestOptions,
  ): Promise<CallToolResult> {
    return this.#recovering(() => this.#inner.callTool(name, args, options), {
      whenBackendGone: "throw",
    });
  }

  listResources(options?: BackendRequestOptions): Promise<Resource[]> {
    return this.#recovering(() => this.#inner.listResources(options), {
      whenBackendGone: "run-again",
    });
  }

  readResource(uri: string, options?: BackendRequestOptions): Promise<ReadResourceResult> {
    return this.#recovering(() => this.#inner.readResource(uri, options), {
      whenBackendGone: "throw",
    });
  }

  listPrompts(options?: BackendRequestOptions): Promise<Prompt[]> {
    return this.#recovering(() => this.#inner.listPrompts(options), {
      whenBackendGone: "run-again",
    });
  }

  getPrompt(
    name: string,
    args?: Record<string, string>,
    options?: BackendRequestOptions,
  ): Promise<GetPromptResult> {
    return this.#recovering(() => this.#inner.getPrompt(name, args, options), {
      whenBackendGone: "throw",
    });
  }

  notifyBackends(method: string, params?: Record<string, unknown>): Promise<void> {
    return this.#inner.notifyBackends(method, params);
  }

  notifyBackend(
    workloadId: string,
    method: string,
    params?: Record<string, unknown>,
  ): Promise<void> {
    return this.#inner.notifyBackend(workloadId, method, params);
  }

  backendInfo(): readonly BackendInfo[] {
    return this.#inner.backendInfo();
  }

  request(
    workloadId: string,
    method: string,
    params: Record<string, unknown> | undefined,
    options?: BackendRequestOptions,
  ): Promise<Record<string, unknown>> {
    return this.#recovering(() => this.#inner.request(workloadId, method, params, options), {
      whenBackendGone: "throw",
    });
  }

  replaceBackend(connection: BackendConnection): Promise<void> {
    return this.#track(async () => {
      await this.#inner.replaceBackend(connection);
      await this.#host.writeBackBackend(this.#inner, connection);
    });
  }

  removeBackend(workloadId: string): Promise<void> {
    return this.#track(() => this.#host.removeBackend(this.id, workloadId));
  }

  evict(): Promise<void> {
    return this.#host.evict(this.id);
  }

  async terminate(): Promise<void> {
    await this.#host.terminateOwned(this.id);
  }

  /**
   * Runs `operation`; on a lost or expired backend session, recovers that backend and runs it once
   * more. When the backend could not be recovered (it left the session), `whenBackendGone` says
   * what happens: a list runs once more over the remaining backends, a routed call throws.
   */
  #recovering<T>(operation: () => Promise<T>, options: RecoveryOptions): Promise<T> {
    return this.#track(async () => {
      try {
        return await operation();
      } catch (error) {
        if (
          !(error instanceof BackendSessionExpiredError) &&
          !(error instanceof BackendUnavailableError)
        ) {
          throw error;
        }
        const recovered = await this.#host.recoverBackend(this.#inner, error.workloadId);
        if (!recovered && options.whenBackendGone === "throw") throw error;
        return operation();
      }
    });
  }

  /** Runs `operation` as one request in the session's activity record. */
  async #track<T>(operation: () => Promise<T>): Promise<T> {
    const end = beginActivity(this.#activity);
    try {
      return await operation();
    } finally {
      end();
    }
  }
}
