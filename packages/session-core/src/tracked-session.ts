import type {
  CallToolResult,
  GetPromptResult,
  Prompt,
  ReadResourceResult,
  Resource,
  Tool,
} from "@modelcontextprotocol/sdk/types.js";
import type { BackendConnection, BackendRequestOptions } from "./backend-connector.js";
import type { ClientInfoRecord } from "./client-info.js";
import type { SessionOwner } from "./identity-binding.js";
import { beginActivity, type SessionActivity } from "./idle-sweeper.js";
import type { ManagedSession } from "./managed-session.js";
import type { BackendInfo } from "./multi-session.js";

/**
 * A {@link ManagedSession} that records its requests in a {@link SessionActivity}, so the idle
 * sweeper never closes a session with a request in flight (backend recovery included).
 * Internal: made by `SessionManager`.
 */
export class TrackedSession implements ManagedSession {
  readonly #inner: ManagedSession;
  readonly #activity: SessionActivity;

  constructor(inner: ManagedSession, activity: SessionActivity) {
    this.#inner = inner;
    this.#activity = activity;
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
    return this.#inner.owner;
  }

  getMetadata(): Record<string, string> {
    return this.#inner.getMetadata();
  }

  listTools(options?: BackendRequestOptions): Promise<Tool[]> {
    return this.#track(() => this.#inner.listTools(options));
  }

  callTool(
    name: string,
    args?: Record<string, unknown>,
    options?: BackendRequestOptions,
  ): Promise<CallToolResult> {
    return this.#track(() => this.#inner.callTool(name, args, options));
  }

  listResources(options?: BackendRequestOptions): Promise<Resource[]> {
    return this.#track(() => this.#inner.listResources(options));
  }

  readResource(uri: string, options?: BackendRequestOptions): Promise<ReadResourceResult> {
    return this.#track(() => this.#inner.readResource(uri, options));
  }

  listPrompts(options?: BackendRequestOptions): Promise<Prompt[]> {
    return this.#track(() => this.#inner.listPrompts(options));
  }

  getPrompt(
    name: string,
    args?: Record<string, string>,
    options?: BackendRequestOptions,
  ): Promise<GetPromptResult> {
    return this.#track(() => this.#inner.getPrompt(name, args, options));
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
    return this.#track(() => this.#inner.request(workloadId, method, params, options));
  }

  replaceBackend(connection: BackendConnection): Promise<void> {
    return this.#track(() => this.#inner.replaceBackend(connection));
  }

  dropBackend(workloadId: string): Promise<void> {
    return this.#track(() => this.#inner.dropBackend(workloadId));
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  terminate(): Promise<void> {
    return this.#inner.terminate();
  }

  async #track<T>(operation: () => Promise<T>): Promise<T> {
    const end = beginActivity(this.#activity);
    try {
      return await operation();
    } finally {
      end();
    }
  }
}
