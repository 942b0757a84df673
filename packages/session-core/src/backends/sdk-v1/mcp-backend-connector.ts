import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Implementation } from "@modelcontextprotocol/sdk/types.js";
import type {
  BackendConnectContext,
  BackendConnection,
  BackendConnector,
  BackendReattachHint,
} from "../backend-connector.js";
import { BackendMessageScope } from "../backend-message-scope.js";
import type { BackendMessageHandler } from "../backend-messages.js";
import type { BackendTarget } from "../backend-target.js";
import { BackendConnectError, BackendSessionExpiredError } from "../errors.js";
import { createNodeHttpFetch, type FetchFunction } from "../node-http-fetch.js";
import { DefaultStderrMaxLineLength } from "../stderr-lines.js";
import { DefaultStdioStopGraceMs, StdioProcesses } from "../stdio-processes.js";
import { McpBackendConnection, mapBackendError } from "./mcp-backend-connection.js";
import { loadSdkClient, type McpSdkClientModules } from "./mcp-sdk-loader.js";
import {
  type OpenedTransport,
  openHttpTransport,
  openStandaloneStream,
  openStdioTransport,
  watchTransport,
} from "./mcp-transport.js";

/** Options for {@link McpBackendConnector}. */
export interface McpBackendConnectorOptions {
  /** How the gateway introduces itself to backends at `initialize`. Default `{ name: "vmcp-gateway", version: "0.1.0" }`. */
  readonly clientInfo?: Implementation;
  /**
   * What happens to a stdio backend's stderr: `"inherit"` (default, the gateway's stderr),
   * `"ignore"` or `"pipe"`. Ignored when `onStderrLine` is given (stderr is then piped to it).
   */
  readonly stdioStderr?: "inherit" | "ignore" | "pipe";
  /**
   * Called once per line a stdio backend writes to stderr (without the newline; empty lines
   * skipped), with the backend's workload ID, so a gateway can log each line as a structured
   * record instead of letting raw text into its log stream. Default: none (see `stdioStderr`).
   * An exception it throws is ignored.
   */
  readonly onStderrLine?: (workloadId: string, line: string) => void;
  /**
   * Longest stderr line handed to `onStderrLine`, in characters; a longer one is cut there (and
   * the rest of it dropped).
   * @default 8_192
   */
  readonly stderrMaxLineLength?: number;
  /**
   * How long `close()` lets a stdio backend process that is still running handle SIGTERM before
   * SIGKILL, ms.
   * @default 2_000 ({@link DefaultStdioStopGraceMs} in `@vmcp/session-core/defaults`)
   */
  readonly stdioStopGraceMs?: number;
  /**
   * Receives what backends send on their own (notifications, progress under the client's token,
   * server-to-client requests such as `sampling/createMessage`), for connections whose connect
   * context names a `sessionId`. A reattached Streamable HTTP connection then also opens its
   * standalone GET stream to the backend (the SDK opens it only after `initialize`). Default:
   * none (a backend's server-to-client request is answered "Method not found").
   */
  readonly messages?: BackendMessageHandler;
}

/**
 * The default `BackendConnector`: an MCP SDK `Client` over `StreamableHTTPClientTransport` or
 * `StdioClientTransport`. The SDK is imported on the first `connect`, never at module load.
 * Streamable HTTP requests go over `node:http`/`node:https` keep-alive agents shared by every
 * connection this connector makes, rather than the global `fetch`, for a fraction of the CPU
 * per request (redirects are still left to the SDK, which follows them within the origin only).
 *
 * Reattaching (a hint is given, Streamable HTTP only): the transport is created with the stored
 * session ID and protocol version, so `Client.connect` sends no `initialize`; the stored
 * capabilities are kept; a `ping` then proves the backend still knows the session (a 404 becomes
 * `BackendSessionExpiredError`). A stdio backend has no resumable session and always connects fresh.
 *
 * Stdio processes: closing a stdio connection resolves only once its process has exited (the SDK
 * ends its stdin, then SIGTERM and SIGKILL after 2 s each). The connector keeps every process it
 * started until it exits: `close()` stops those still running and refuses later connects, and
 * `killStdioProcesses()` sends SIGKILL synchronously (for a process `exit` handler), so no stdio
 * child outlives the gateway.
 */
export class McpBackendConnector implements BackendConnector {
  readonly #clientInfo: Implementation;
  readonly #stderr: "inherit" | "ignore" | "pipe";
  /**
   * One JSON Schema validator shared by every client this connector makes: the SDK's default is
   * a new Ajv instance per Client, whose construction dominates a connect's CPU time.
   */
  #validator: InstanceType<McpSdkClientModules["ajv"]["AjvJsonSchemaValidator"]> | undefined;
  /** The fetch of every Streamable HTTP transport this connector makes (one set of keep-alive agents). */
  readonly #fetch: FetchFunction = createNodeHttpFetch();
  readonly #onStderrLine: ((workloadId: string, line: string) => void) | undefined;
  readonly #maxLine: number;
  readonly #stopGraceMs: number;
  readonly #messages: BackendMessageHandler | undefined;
  readonly #processes = new StdioProcesses();
  readonly #connecting = new Set<Promise<unknown>>();
  #closed: Promise<void> | undefined;

  /** @throws {RangeError} for a `stderrMaxLineLength` below 1 or a negative `stdioStopGraceMs`. */
  constructor(options: McpBackendConnectorOptions = {}) {
    this.#clientInfo = options.clientInfo ?? { name: "vmcp-gateway", version: "0.1.0" };
    this.#onStderrLine = options.onStderrLine;
    this.#stderr = this.#onStderrLine === undefined ? (options.stdioStderr ?? "inherit") : "pipe";
    this.#maxLine = options.stderrMaxLineLength ?? DefaultStderrMaxLineLength;
    this.#stopGraceMs = options.stdioStopGraceMs ?? DefaultStdioStopGraceMs;
    this.#messages = options.messages;
    if (!Number.isSafeInteger(this.#maxLine) || this.#maxLine < 1) {
      throw new RangeError(
        `stderrMaxLineLength must be a positive integer, got ${String(this.#maxLine)}`,
      );
    }
    if (!Number.isSafeInteger(this.#stopGraceMs) || this.#stopGraceMs < 0) {
      throw new RangeError(
        `stdioStopGraceMs must be an integer of ms >= 0, got ${String(this.#stopGraceMs)}`,
      );
    }
  }

  /** The PIDs of the stdio backend processes this connector started that are still running. */
  get stdioProcessIds(): readonly number[] {
    return this.#processes.pids;
  }

  /**
   * Refuses later connects (`BackendConnectError`), waits for connects in flight, then stops
   * every stdio process still running (SIGTERM, SIGKILL after `stdioStopGraceMs`) and resolves
   * once they are gone. Call it after closing the sessions; HTTP backend sessions are left alone.
   * Idempotent.
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await Promise.allSettled([...this.#connecting]);
      await this.#processes.stopAll(this.#stopGraceMs);
    })();
    return this.#closed;
  }

  /**
   * Sends SIGKILL to every stdio process still running, synchronously: for a process about to
   * exit at once (a second signal, an `exit` handler), where `close()` has no time to run.
   */
  killStdioProcesses(): void {
    this.#processes.signalAll("SIGKILL");
  }

  connect(
    target: BackendTarget,
    hint: BackendReattachHint | undefined,
    signal: AbortSignal,
    context: BackendConnectContext = {},
  ): Promise<BackendConnection> {
    if (this.#closed !== undefined) {
      return Promise.reject(new BackendConnectError(target.workloadId, "the connector is closed"));
    }
    const attempt = this.#connect(target, hint, signal, context);
    this.#connecting.add(attempt);
    const forget = () => this.#connecting.delete(attempt);
    attempt.then(forget, forget);
    return attempt;
  }

  /**
   * One connect, in its steps: load the SDK, open the transport, make the client and the scope of
   * the backend's own messages, run the handshake, and adopt the connection.
   */
  async #connect(
    target: BackendTarget,
    hint: BackendReattachHint | undefined,
    signal: AbortSignal,
    context: BackendConnectContext,
  ): Promise<BackendConnection> {
    const { workloadId } = target;
    const sdk = await loadSdkClient();
    if (signal.aborted) throw abortError(workloadId, signal);
    const opened = await this.#openTransport(sdk, target, hint);
    // A new process never knows an old session: only Streamable HTTP reattaches.
    const reattach = opened.http === undefined ? undefined : hint;
    const watch = watchTransport(opened.transport);
    const client = this.#newClient(sdk, context);
    const scope = this.#messageScope(context, workloadId, opened.stdio !== undefined);
    if (scope !== undefined) {
      watch.relayProgressTo(scope);
      relayServerMessages(client, scope);
    }
    await handshake({ sdk, client, opened, reattach, scope, signal, workloadId });
    return this.#adopt(
      new McpBackendConnection({
        workloadId,
        sdk,
        client,
        transport: opened.transport,
        http: opened.http,
        protocolVersion: watch.negotiated() ?? reattach?.protocolVersion,
        capabilities: client.getServerCapabilities() ?? reattach?.capabilities,
        instructions: client.getInstructions() ?? reattach?.instructions,
        exited: opened.exited,
        messages: scope,
      }),
      opened,
    );
  }

  /** The transport `target` asks for: Streamable HTTP (reattached with a hint), or a new stdio process. */
  async #openTransport(
    sdk: McpSdkClientModules,
    target: BackendTarget,
    hint: BackendReattachHint | undefined,
  ): Promise<OpenedTransport> {
    const config = target.transport;
    if (config.kind === "streamable-http") return openHttpTransport(sdk, config, hint, this.#fetch);
    const onLine = this.#onStderrLine;
    return openStdioTransport(config, {
      mode: this.#stderr,
      onLine: onLine && ((line) => onLine(target.workloadId, line)),
      maxLineLength: this.#maxLine,
    });
  }

  /** An SDK client declaring the client's own capabilities, so the backend offers what it can do. */
  #newClient(sdk: McpSdkClientModules, context: BackendConnectContext): Client {
    this.#validator ??= new sdk.ajv.AjvJsonSchemaValidator();
    return new sdk.client.Client(this.#clientInfo, {
      capabilities: { ...(context.clientCapabilities ?? {}) },
      jsonSchemaValidator: this.#validator,
    });
  }

  /** Where the backend's own messages go: only with a handler and a session to name them by. */
  #messageScope(
    context: BackendConnectContext,
    workloadId: string,
    stdio: boolean,
  ): BackendMessageScope | undefined {
    if (this.#messages === undefined || context.sessionId === undefined) return undefined;
    return new BackendMessageScope(
      { sessionId: context.sessionId, workloadId },
      this.#messages,
      stdio,
    );
  }

  /**
   * Takes a connected backend in: its stdio process is tracked until it exits. A connector
   * closed while connecting keeps nothing: no process it no longer stops.
   */
  async #adopt(
    connection: McpBackendConnection,
    opened: OpenedTransport,
  ): Promise<BackendConnection> {
    const pid = opened.stdio?.pid ?? null;
    if (pid !== null && opened.exited !== undefined) this.#processes.add(pid, opened.exited);
    if (this.#closed !== undefined) {
      await connection.close();
      throw new BackendConnectError(connection.workloadId, "the connector is closed");
    }
    return connection;
  }
}

/**
 * Hands the backend's notifications, and every server-to-client request the SDK has no handler
 * of its own for (sampling, elicitation, roots...), to `scope`: the gateway relays them to the
 * client.
 */
function relayServerMessages(client: Client, scope: BackendMessageScope): void {
  client.fallbackNotificationHandler = async (notification) => {
    scope.notification(
      notification.params === undefined
        ? { method: notification.method }
        : { method: notification.method, params: notification.params },
    );
  };
  client.fallbackRequestHandler = (request, extra) =>
    scope.request(
      request.params === undefined
        ? { method: request.method }
        : { method: request.method, params: request.params },
      extra.signal,
    ) as never;
}

/** What {@link handshake} needs. */
interface Handshake {
  readonly sdk: McpSdkClientModules;
  readonly client: Client;
  readonly opened: OpenedTransport;
  readonly reattach: BackendReattachHint | undefined;
  readonly scope: BackendMessageScope | undefined;
  readonly signal: AbortSignal;
  readonly workloadId: string;
}

/**
 * Connects the client: `initialize`, or for a reattach a `ping` proving the backend still knows
 * the session (and the standalone stream the SDK would open only after `initialize`). Aborting
 * `signal` closes the client. A failure closes it and throws `BackendSessionExpiredError` (a 404
 * on reattach) or `BackendConnectError`.
 */
async function handshake(step: Handshake): Promise<void> {
  const { sdk, client, opened, reattach, signal, workloadId } = step;
  const closeOnAbort = () => void client.close().catch(() => undefined);
  signal.addEventListener("abort", closeOnAbort, { once: true });
  try {
    await client.connect(opened.transport, { signal });
    if (reattach === undefined) return;
    await client.ping({ signal });
    if (opened.http !== undefined && step.scope !== undefined) {
      openStandaloneStream(sdk, opened.http, client);
    }
  } catch (error) {
    await client.close().catch(() => undefined);
    if (signal.aborted) throw abortError(workloadId, signal);
    const mapped = mapBackendError(sdk, workloadId, reattach?.sessionId ?? "", error);
    if (mapped instanceof BackendSessionExpiredError) throw mapped;
    throw new BackendConnectError(workloadId, describeError(error), { cause: error });
  } finally {
    signal.removeEventListener("abort", closeOnAbort);
  }
}

function abortError(workloadId: string, signal: AbortSignal): BackendConnectError {
  const reason: unknown = signal.reason;
  const timedOut = reason instanceof Error && reason.name === "TimeoutError";
  return new BackendConnectError(workloadId, timedOut ? "connect timed out" : "connect aborted", {
    cause: reason,
  });
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
