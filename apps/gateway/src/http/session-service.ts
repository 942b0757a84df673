import type {
  CallToolResult,
  ClientCapabilities,
  GetPromptResult,
  Implementation,
  Prompt,
  ReadResourceResult,
  Resource,
  Tool,
} from "@modelcontextprotocol/sdk/types.js";
import type { CallerIdentity } from "../identity/identity-verifier.js";

/** What the client said at `initialize`, kept in the session record so any replica can serve it. */
export interface ClientInfo {
  /** The protocol version the gateway negotiated with the client. */
  readonly protocolVersion: string;
  /** The client's capabilities. */
  readonly capabilities: ClientCapabilities;
  /** The client's name and version. */
  readonly clientInfo: Implementation;
}

/** One client session as the HTTP front end serves it (a session-core `ManagedSession`). */
export interface ServedSession {
  /** The session ID, sent as `Mcp-Session-Id`. */
  readonly id: string;
  /** The tools of every connected backend, conflicting names prefixed. */
  listTools(): Promise<Tool[]>;
  /** Calls a tool by its exposed name, routed to its backend. */
  callTool(
    name: string,
    args: Record<string, unknown> | undefined,
    options?: { signal?: AbortSignal },
  ): Promise<CallToolResult>;
  /** The resources of every connected backend. */
  listResources(): Promise<Resource[]>;
  /** Reads a resource from the backend that lists it. */
  readResource(uri: string): Promise<ReadResourceResult>;
  /** The prompts of every connected backend. */
  listPrompts(): Promise<Prompt[]>;
  /** Renders a prompt by its exposed name. */
  getPrompt(name: string, args?: Record<string, string>): Promise<GetPromptResult>;
}

/** What the HTTP front end needs from the session layer (session-core's `SessionManager`). */
export interface SessionService {
  /** Connects the backends and stores a new session bound to `owner`. */
  create(input: { owner?: CallerIdentity; client?: ClientInfo }): Promise<ServedSession>;
  /** The live session, restored from the store if needed; `undefined` when unknown, expired or terminated. */
  get(id: string, owner?: CallerIdentity): Promise<ServedSession | undefined>;
  /** Ends the session everywhere; resolves whether it existed. */
  terminate(id: string, owner?: CallerIdentity): Promise<boolean>;
  /** Drops a failed backend from the session and its stored metadata. */
  removeBackend(id: string, workloadId: string): Promise<void>;
}
