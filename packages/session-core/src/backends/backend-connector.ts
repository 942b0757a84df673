import type {
  CallToolResult,
  ClientCapabilities,
  GetPromptResult,
  Implementation,
  Prompt,
  ReadResourceResult,
  Resource,
  ServerCapabilities,
  Tool,
} from "@modelcontextprotocol/sdk/types.js";
import type { BackendTarget } from "./backend-target.js";

/**
 * What a replica stored about a backend session, enough to reattach to it without a new
 * `initialize`: the backend's session ID and what `initialize` negotiated.
 */
export interface BackendReattachHint {
  /** The backend's own `Mcp-Session-Id`; never empty (a backend without sessions gets no hint). */
  readonly sessionId: string;
  /** The protocol version negotiated at `initialize`, sent as `MCP-Protocol-Version`. */
  readonly protocolVersion?: string;
  /** The server capabilities the backend reported at `initialize`. */
  readonly capabilities?: ServerCapabilities;
  /** The `instructions` the backend sent at `initialize`, when it sent any and they were stored. */
  readonly instructions?: string;
}

/** Options for one backend request. */
export interface BackendRequestOptions {
  /** Aborts the request. Default: none (the SDK's own 60 s request timeout still applies). */
  readonly signal?: AbortSignal;
  /**
   * Told the JSON-RPC ID the request goes to the backend with, as it is sent (again for a retry
   * after a recovery), so that the request can be cancelled later (`notifications/cancelled`)
   * from another connection to the same backend session. Connections that cannot tell leave it
   * uncalled.
   */
  readonly onRequestId?: (id: string | number) => void;
}

/**
 * One live connection to one backend session. Errors: `BackendSessionExpiredError` when the
 * backend answers 404 for the session, `BackendUnavailableError` when the connection is lost;
 * errors the backend returns (JSON-RPC errors) pass through unchanged.
 */
export interface BackendConnection {
  /** The backend's workload ID. */
  readonly workloadId: string;
  /** The backend's own `Mcp-Session-Id`; `""` when the backend runs without sessions (stateless HTTP, stdio). */
  readonly sessionId: string;
  /** The protocol version negotiated at `initialize` (or restored from the hint); `undefined` when unknown. */
  readonly protocolVersion: string | undefined;
  /** The server capabilities reported at `initialize` (or restored from the hint); `undefined` when unknown. */
  readonly capabilities: ServerCapabilities | undefined;
  /**
   * The `instructions` the backend sent at `initialize` (or restored from the hint); `undefined`
   * when it sent none, or when reattached with a hint that holds none.
   */
  readonly instructions?: string | undefined;
  /**
   * Sends any request (`method`, `params` as given, `_meta` included) and resolves the backend's
   * result unchanged: what the generic router uses for request kinds without a typed method here.
   * Optional so that other connectors keep compiling; the router answers -32601 without it.
   */
  request?(
    method: string,
    params: Record<string, unknown> | undefined,
    options?: BackendRequestOptions,
  ): Promise<Record<string, unknown>>;
  /**
   * Sends the backend a notification (`method`, `params` unchanged), e.g. the client's
   * `notifications/roots/list_changed`. Optional so that other connectors keep compiling.
   */
  notify?(method: string, params?: Record<string, unknown>): Promise<void>;
  /** Every tool the backend offers (all pages). */
  listTools(options?: BackendRequestOptions): Promise<Tool[]>;
  /** Calls one of the backend's tools by its own name. */
  callTool(
    name: string,
    args: Record<string, unknown> | undefined,
    options?: BackendRequestOptions,
  ): Promise<CallToolResult>;
  /** Every resource the backend lists (all pages). */
  listResources(options?: BackendRequestOptions): Promise<Resource[]>;
  /** Reads one resource. */
  readResource(uri: string, options?: BackendRequestOptions): Promise<ReadResourceResult>;
  /** Every prompt the backend offers (all pages). */
  listPrompts(options?: BackendRequestOptions): Promise<Prompt[]>;
  /** Renders one prompt. */
  getPrompt(
    name: string,
    args?: Record<string, string>,
    options?: BackendRequestOptions,
  ): Promise<GetPromptResult>;
  /** Drops the local connection only; the backend session lives on, so another replica may reattach. Idempotent. */
  close(): Promise<void>;
  /** Ends the backend session (HTTP DELETE; a stdio process is stopped), then closes. Idempotent; never throws for a session already gone. */
  terminate(): Promise<void>;
}

/** What the connector declares to a backend at `initialize` on behalf of the session's client. */
export interface BackendConnectContext {
  /**
   * The capabilities the client declared to the gateway (`sampling`, `elicitation`, `roots`...),
   * declared to the backend as the gateway's own so it offers what this client can do.
   * Default: none (`{}`).
   */
  readonly clientCapabilities?: ClientCapabilities;
  /**
   * The client's name and version as it gave them at `initialize`. The SDK v1 connector introduces
   * the gateway itself (its `clientInfo` option); a connector that sends each request with its own
   * envelope (MCP 2026-07-28) names the client there. Default: none.
   */
  readonly clientInfo?: Implementation;
  /**
   * The client session the connection belongs to, named in the origin of every message the
   * backend sends on its own (see `McpBackendConnectorOptions.messages`). Default: none (those
   * messages are then not relayed).
   */
  readonly sessionId?: string;
}

/** Opens connections to backends. The default is `McpBackendConnector`; tests inject their own. */
export interface BackendConnector {
  /**
   * Connects to `target`.
   * - `hint` absent: opens a fresh backend session (`initialize`).
   * - `hint` present: reattaches to that backend session WITHOUT `initialize`, keeping the hint's
   *   protocol version, capabilities and instructions; when the backend answers 404 for it, rejects with
   *   `BackendSessionExpiredError` (the caller then connects fresh).
   *
   * `signal` bounds the whole connect; on abort the partial connection is closed and the promise
   * rejects with `BackendConnectError`. `context` carries the client's capabilities to declare.
   */
  connect(
    target: BackendTarget,
    hint: BackendReattachHint | undefined,
    signal: AbortSignal,
    context?: BackendConnectContext,
  ): Promise<BackendConnection>;
}
