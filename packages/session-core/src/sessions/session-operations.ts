import type {
  CallToolResult,
  GetPromptResult,
  Prompt,
  ReadResourceResult,
  Resource,
  ServerCapabilities,
  Tool,
} from "@modelcontextprotocol/sdk/types.js";
import type { BackendConnection, BackendRequestOptions } from "../backends/backend-connector.js";
import type { ClientInfoRecord } from "./client-info.js";
import type { ToolNaming } from "./tool-naming.js";

/**
 * What every client session spread over several backend MCP servers offers: one tool list, calls
 * routed to the backend that owns each tool. Tool and prompt names follow the factory's
 * {@link ToolNaming}; resources keep their URIs (when two backends list one URI, the backend first
 * by workload ID serves it). A bare {@link MultiSession} and a manager's `ManagedSession` both
 * offer it; they differ in how a backend or the whole session is let go.
 */
export interface SessionOperations {
  /** The session ID (the client's `Mcp-Session-Id`). */
  readonly id: string;
  /** The workload IDs of the backends connected now, sorted. */
  readonly backendIds: readonly string[];
  /** What the client sent at `initialize`, when known. */
  readonly client: ClientInfoRecord | undefined;
  /**
   * A copy of the session's metadata: the backend keys written by `makeSession` (or read back
   * and updated by a restore), client info and, once managed, the identity binding.
   */
  getMetadata(): Record<string, string>;
  /** Every tool of every connected backend, under its exposed name; refreshes the routing table. */
  listTools(options?: BackendRequestOptions): Promise<Tool[]>;
  /**
   * Calls a tool by its exposed name on the backend that owns it.
   * @throws {UnknownToolError} when no connected backend offers that name (after at most one
   *   list refresh, shared and rate-limited: see {@link MultiSessionLimits.listRefreshIntervalMs}).
   * @throws {SessionBusyError} when the session's backend request slots and queue are full.
   */
  callTool(
    name: string,
    args?: Record<string, unknown>,
    options?: BackendRequestOptions,
  ): Promise<CallToolResult>;
  /** Every resource of every connected backend; refreshes the routing table. */
  listResources(options?: BackendRequestOptions): Promise<Resource[]>;
  /**
   * Reads a resource from the backend that lists its URI.
   * @throws {UnknownResourceError} when no connected backend lists it (after one refresh).
   */
  readResource(uri: string, options?: BackendRequestOptions): Promise<ReadResourceResult>;
  /** Every prompt of every connected backend, under its exposed name; refreshes the routing table. */
  listPrompts(options?: BackendRequestOptions): Promise<Prompt[]>;
  /**
   * Renders a prompt by its exposed name on the backend that owns it.
   * @throws {UnknownPromptError} when no connected backend offers that name (after one refresh).
   */
  getPrompt(
    name: string,
    args?: Record<string, string>,
    options?: BackendRequestOptions,
  ): Promise<GetPromptResult>;
  /** What each connected backend declared at `initialize`, sorted by workload ID. */
  backendInfo(): readonly BackendInfo[];
  /**
   * Sends a notification from the client (e.g. `notifications/roots/list_changed`) to every
   * backend connected here, unchanged. Best effort: a backend that cannot be reached is skipped;
   * never rejects.
   */
  notifyBackends(method: string, params?: Record<string, unknown>): Promise<void>;
  /**
   * Sends one backend a notification (`method`, `params` unchanged), e.g. `notifications/cancelled`
   * for a request of its own. No-op when the backend is not connected or takes no notifications.
   */
  notifyBackend(
    workloadId: string,
    method: string,
    params?: Record<string, unknown>,
  ): Promise<void>;
  /**
   * Sends one request (`method`, `params` unchanged, `_meta` included) to the connected backend
   * `workloadId`, within the session's backend request limits, and resolves its result unchanged.
   * When an OpenTelemetry SDK is registered, the request runs in an MCP client span whose context
   * replaces `traceparent`, `tracestate` and `baggage` in `_meta` (see the README's tracing).
   * @throws {BackendUnavailableError} when that backend is not connected, or its connector has no
   *   generic requests.
   * @throws {SessionBusyError} when the session's backend request slots and queue are full.
   */
  request(
    workloadId: string,
    method: string,
    params: Record<string, unknown> | undefined,
    options?: BackendRequestOptions,
  ): Promise<Record<string, unknown>>;
  /**
   * Replaces (or adds) the live connection of one backend, closing the previous one locally,
   * and records its session ID (plus protocol and capabilities) in the session's metadata.
   */
  replaceBackend(connection: BackendConnection): Promise<void>;
  /** Ends the session's backend sessions (HTTP DELETE). Idempotent; never throws for a backend already gone. */
  terminate(): Promise<void>;
}

/**
 * A live session on this replica only, as the factory makes it: {@link SessionOperations} plus
 * local-only ways to let go of a backend or of every connection. Nothing here touches storage
 * (a `SessionManager` does that, see `ManagedSession`).
 */
export interface MultiSession extends SessionOperations {
  /**
   * Drops one backend from the live session (closing its connection locally) and from the
   * session's metadata (its keys, and its entry in `vmcp.backend.ids`). No-op when absent.
   */
  dropBackend(workloadId: string): Promise<void>;
  /** Closes every local backend connection; the backend sessions live on for other replicas. Idempotent. */
  close(): Promise<void>;
  /** Ends every backend session (HTTP DELETE), then closes. Idempotent; never throws for a backend already gone. */
  terminate(): Promise<void>;
}

/** What one connected backend declared at `initialize`. */
export interface BackendInfo {
  /** The backend's workload ID. */
  readonly workloadId: string;
  /** Its server capabilities; `undefined` when unknown. */
  readonly capabilities: ServerCapabilities | undefined;
  /**
   * Its instructions: sent at `initialize`, or stored by the replica that sent it and read back on
   * reattach; `undefined` when it sent none, or they were too large to store and this replica
   * reattached without `initialize`.
   */
  readonly instructions: string | undefined;
}
