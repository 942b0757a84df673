import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type {
  CallToolResult,
  GetPromptResult,
  Prompt,
  ReadResourceResult,
  Resource,
  ServerCapabilities,
  Tool,
} from "@modelcontextprotocol/sdk/types.js";
import { definedFields } from "../../defined-fields.js";
import type { BackendConnection, BackendRequestOptions } from "../backend-connector.js";
import type { BackendMessageScope } from "../backend-message-scope.js";
import { BackendSessionExpiredError, BackendUnavailableError } from "../errors.js";
import { settleWithin } from "../stdio-processes.js";
import type { McpSdkClientModules } from "./mcp-sdk-loader.js";

/** What a live SDK connection was built from. */
export interface McpConnectionParts {
  readonly workloadId: string;
  readonly sdk: McpSdkClientModules;
  readonly client: Client;
  readonly transport: Transport;
  /** The Streamable HTTP transport, when the backend speaks HTTP (for DELETE on terminate). */
  readonly http: StreamableHTTPClientTransport | undefined;
  readonly protocolVersion: string | undefined;
  readonly capabilities: ServerCapabilities | undefined;
  /** The backend's `initialize` instructions, when it sent any. */
  readonly instructions?: string | undefined;
  /** A stdio backend's process: resolves once it has exited. `close()` waits for it. */
  readonly exited?: Promise<void> | undefined;
  /** Where the backend's own messages go (progress included), when the gateway relays them. */
  readonly messages?: BackendMessageScope | undefined;
}

/** How long `close()` waits for a stdio process to be gone after the SDK's own stop sequence, ms. */
const ExitWaitMs = 2_000;

/** A `BackendConnection` over an SDK `Client`. Internal: made by `McpBackendConnector`. */
export class McpBackendConnection implements BackendConnection {
  readonly workloadId: string;
  readonly sessionId: string;
  readonly protocolVersion: string | undefined;
  readonly capabilities: ServerCapabilities | undefined;
  readonly instructions: string | undefined;
  readonly #parts: McpConnectionParts;
  #closed: Promise<void> | undefined;
  /** Told the ID of the next request the transport sends (armed around one `client.request`). */
  #onSent: ((id: string | number) => void) | undefined;

  constructor(parts: McpConnectionParts) {
    this.#parts = parts;
    // The SDK assigns a request's ID and hands it to the transport synchronously inside
    // `client.request`: watching `send` there is the public way to learn it.
    const transport = parts.transport;
    const send = transport.send.bind(transport);
    transport.send = (message, options) => {
      const onSent = this.#onSent;
      if (onSent !== undefined && "method" in message && "id" in message) {
        this.#onSent = undefined;
        onSent(message.id);
      }
      return send(message, options);
    };
    this.workloadId = parts.workloadId;
    this.sessionId = parts.transport.sessionId ?? "";
    this.protocolVersion = parts.protocolVersion;
    this.capabilities = parts.capabilities;
    this.instructions = parts.instructions;
  }

  request(
    method: string,
    params: Record<string, unknown> | undefined,
    options: BackendRequestOptions = {},
  ): Promise<Record<string, unknown>> {
    const scope = this.#parts.messages;
    const send = () => {
      this.#onSent = options.onRequestId;
      try {
        return this.#parts.client.request(
          params === undefined ? { method } : { method, params },
          this.#parts.sdk.types.ResultSchema,
          requestOptions(options),
        );
      } finally {
        this.#onSent = undefined;
      }
    };
    return this.#run(() => (scope === undefined ? send() : scope.track(send)));
  }

  notify(method: string, params?: Record<string, unknown>): Promise<void> {
    return this.#run(() =>
      this.#parts.client.notification(params === undefined ? { method } : { method, params }),
    );
  }

  listTools(options: BackendRequestOptions = {}): Promise<Tool[]> {
    return this.#run(() =>
      allPages(async (cursor) => {
        const page = await this.#parts.client.listTools(
          cursorParam(cursor),
          requestOptions(options),
        );
        return { items: page.tools, nextCursor: page.nextCursor };
      }),
    );
  }

  callTool(
    name: string,
    args: Record<string, unknown> | undefined,
    options: BackendRequestOptions = {},
  ): Promise<CallToolResult> {
    return this.#run(async () => {
      const params = args === undefined ? { name } : { name, arguments: args };
      const result = await this.#parts.client.callTool(params, undefined, requestOptions(options));
      return result as CallToolResult;
    });
  }

  listResources(options: BackendRequestOptions = {}): Promise<Resource[]> {
    return this.#run(() =>
      allPages(async (cursor) => {
        const page = await this.#parts.client.listResources(
          cursorParam(cursor),
          requestOptions(options),
        );
        return { items: page.resources, nextCursor: page.nextCursor };
      }),
    );
  }

  readResource(uri: string, options: BackendRequestOptions = {}): Promise<ReadResourceResult> {
    return this.#run(() => this.#parts.client.readResource({ uri }, requestOptions(options)));
  }

  listPrompts(options: BackendRequestOptions = {}): Promise<Prompt[]> {
    return this.#run(() =>
      allPages(async (cursor) => {
        const page = await this.#parts.client.listPrompts(
          cursorParam(cursor),
          requestOptions(options),
        );
        return { items: page.prompts, nextCursor: page.nextCursor };
      }),
    );
  }

  getPrompt(
    name: string,
    args?: Record<string, string>,
    options: BackendRequestOptions = {},
  ): Promise<GetPromptResult> {
    const params = args === undefined ? { name } : { name, arguments: args };
    return this.#run(() => this.#parts.client.getPrompt(params, requestOptions(options)));
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      await this.#parts.client.close().catch(() => undefined);
      // The SDK's close sends SIGKILL as its last step without waiting for the exit.
      const exited = this.#parts.exited;
      if (exited !== undefined) await settleWithin(exited, ExitWaitMs);
    })();
    return this.#closed;
  }

  async terminate(): Promise<void> {
    const http = this.#parts.http;
    if (http !== undefined && this.#closed === undefined && this.sessionId !== "") {
      // A backend that already forgot the session, or is gone, has nothing left to end.
      await http.terminateSession().catch(() => undefined);
    }
    await this.close();
  }

  async #run<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw mapBackendError(this.#parts.sdk, this.workloadId, this.sessionId, error);
    }
  }
}

/**
 * Maps SDK failures to typed errors: a 404 for a known session is `BackendSessionExpiredError`,
 * a lost connection is `BackendUnavailableError`; anything else (the backend's own JSON-RPC
 * errors, aborts) is returned unchanged.
 */
export function mapBackendError(
  sdk: McpSdkClientModules,
  workloadId: string,
  sessionId: string,
  error: unknown,
): unknown {
  if (error instanceof sdk.http.StreamableHTTPError && error.code === 404 && sessionId !== "") {
    return new BackendSessionExpiredError(workloadId, sessionId, { cause: error });
  }
  if (error instanceof sdk.types.McpError && error.code === sdk.types.ErrorCode.ConnectionClosed) {
    return new BackendUnavailableError(workloadId, "the connection closed", { cause: error });
  }
  if (error instanceof TypeError && /fetch failed/i.test(error.message)) {
    return new BackendUnavailableError(workloadId, error.message, { cause: error });
  }
  return error;
}

function requestOptions(options: BackendRequestOptions): { signal?: AbortSignal } {
  return definedFields({ signal: options.signal });
}

function cursorParam(cursor: string | undefined): { cursor?: string } {
  return definedFields({ cursor });
}

/** Longest pagination walk followed, so a backend that loops its cursors cannot hang a list. */
const MaxPages = 1_000;

async function allPages<T>(
  fetchPage: (
    cursor: string | undefined,
  ) => Promise<{ items: T[]; nextCursor?: string | undefined }>,
): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MaxPages; page++) {
    const result = await fetchPage(cursor);
    all.push(...result.items);
    cursor = result.nextCursor;
    if (cursor === undefined || cursor === "") break;
  }
  return all;
}
