import type {
  CallToolResult,
  GetPromptResult,
  Prompt,
  ReadResourceResult,
  Resource,
  Tool,
} from "@modelcontextprotocol/sdk/types.js";
import { MetadataKeyIdentityIssuer, MetadataKeyIdentitySubject } from "@vmcp/session-keys";
import type { BackendConnection, BackendRequestOptions } from "./backend-connector.js";
import type { ClientInfoRecord } from "./client-info.js";
import { BackendSessionExpiredError, BackendUnavailableError } from "./errors.js";
import type { SessionOwner } from "./identity-binding.js";
import type { BackendInfo, MultiSession } from "./multi-session.js";
import type { SessionMetadata } from "./session-record.js";

/**
 * A {@link MultiSession} held by a `SessionManager`. On top of the session it:
 * - recovers a backend whose session expired (404) or whose connection was lost: one fresh
 *   `initialize`, the new backend session ID written back to storage, and the call retried once;
 *   when the fresh connect fails too, the backend leaves the session and its stored metadata
 *   (`removeBackend`): a routed call then throws the original error, a list (tools, resources,
 *   prompts) answers from the remaining backends;
 * - `dropBackend` removes the backend from storage as well (see `SessionManager.removeBackend`);
 * - `close()` evicts the session from the manager's local cache (local connections only);
 * - `terminate()` ends the session everywhere: storage, local cache, backend sessions.
 */
export interface ManagedSession extends MultiSession {
  /** The identity the session is bound to, when it has an owner (from the stored metadata). */
  readonly owner: SessionOwner | undefined;
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
  readonly #identity: Readonly<SessionMetadata>;

  /** @param identity the identity binding keys applied on top of a freshly made session's metadata. */
  constructor(
    inner: MultiSession,
    host: ManagedSessionHost,
    identity: Readonly<SessionMetadata> = {},
  ) {
    this.#inner = inner;
    this.#host = host;
    this.#identity = identity;
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
    const metadata = this.getMetadata();
    const issuer = metadata[MetadataKeyIdentityIssuer];
    const subject = metadata[MetadataKeyIdentitySubject];
    return issuer === undefined || subject === undefined ? undefined : { issuer, subject };
  }

  getMetadata(): Record<string, string> {
    return { ...this.#inner.getMetadata(), ...this.#identity };
  }

  listTools(options?: BackendRequestOptions): Promise<Tool[]> {
    return this.#recovering(() => this.#inner.listTools(options), true);
  }

  callTool(
    name: string,
    args?: Record<string, unknown>,
    options?: BackendRequestOptions,
  ): Promise<CallToolResult> {
    return this.#recovering(() => this.#inner.callTool(name, args, options));
  }

  listResources(options?: BackendRequestOptions): Promise<Resource[]> {
    return this.#recovering(() => this.#inner.listResources(options), true);
  }

  readResource(uri: string, options?: BackendRequestOptions): Promise<ReadResourceResult> {
    return this.#recovering(() => this.#inner.readResource(uri, options));
  }

  listPrompts(options?: BackendRequestOptions): Promise<Prompt[]> {
    return this.#recovering(() => this.#inner.listPrompts(options), true);
  }

  getPrompt(
    name: string,
    args?: Record<string, string>,
    options?: BackendRequestOptions,
  ): Promise<GetPromptResult> {
    return this.#recovering(() => this.#inner.getPrompt(name, args, options));
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
    return this.#recovering(() => this.#inner.request(workloadId, method, params, options));
  }

  async replaceBackend(connection: BackendConnection): Promise<void> {
    await this.#inner.replaceBackend(connection);
    await this.#host.writeBackBackend(this.#inner, connection);
  }

  dropBackend(workloadId: string): Promise<void> {
    return this.#host.removeBackend(this.id, workloadId);
  }

  close(): Promise<void> {
    return this.#host.evict(this.id);
  }

  async terminate(): Promise<void> {
    await this.#host.terminateOwned(this.id);
  }

  /**
   * Runs `operation`; on a lost or expired backend session, recovers that backend and runs it once
   * more. When the backend could not be recovered (it left the session), a list operation still
   * runs once more over the remaining backends (`retryWithout`); a routed call throws.
   */
  async #recovering<T>(operation: () => Promise<T>, retryWithout = false): Promise<T> {
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
      if (!recovered && !retryWithout) throw error;
      return operation();
    }
  }
}
