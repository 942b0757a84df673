import { Readable } from "node:stream";
import type { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { Implementation, JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type {
  BackendConnectContext,
  BackendConnection,
  BackendConnector,
  BackendReattachHint,
} from "../backend-connector.js";
import { BackendMessageScope } from "../backend-message-scope.js";
import type { BackendMessageHandler, BackendProgress } from "../backend-messages.js";
import type { BackendTarget } from "../backend-target.js";
import { BackendConnectError, BackendSessionExpiredError } from "../errors.js";
import { createNodeHttpFetch, type FetchFunction } from "../node-http-fetch.js";
import { DefaultStderrMaxLineLength, forwardLines } from "../stderr-lines.js";
import { DefaultStdioStopGraceMs, StdioProcesses } from "../stdio-processes.js";
import { McpBackendConnection, mapBackendError } from "./mcp-backend-connection.js";
import { loadSdkClient, loadSdkStdio, type McpSdkClientModules } from "./mcp-sdk-loader.js";

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

  async #connect(
    target: BackendTarget,
    hint: BackendReattachHint | undefined,
    signal: AbortSignal,
    context: BackendConnectContext,
  ): Promise<BackendConnection> {
    const { workloadId } = target;
    const sdk = await loadSdkClient();
    if (signal.aborted) throw abortError(workloadId, signal);

    let transport: Transport;
    let http: StreamableHTTPClientTransport | undefined;
    let stdio: StdioClientTransport | undefined;
    let exited: Promise<void> | undefined;
    const config = target.transport;
    if (config.kind === "streamable-http") {
      http = new sdk.http.StreamableHTTPClientTransport(new URL(config.url), {
        fetch: this.#fetch,
        ...(hint === undefined ? {} : { sessionId: hint.sessionId }),
        ...(config.headers === undefined
          ? {}
          : { requestInit: { headers: { ...config.headers } } }),
      });
      if (hint?.protocolVersion !== undefined) http.setProtocolVersion(hint.protocolVersion);
      transport = http;
    } else {
      hint = undefined; // a new process never knows an old session
      const { StdioClientTransport } = await loadSdkStdio();
      stdio = new StdioClientTransport({
        command: config.command,
        stderr: this.#stderr,
        ...(config.args === undefined ? {} : { args: [...config.args] }),
        ...(config.env === undefined ? {} : { env: { ...config.env } }),
        ...(config.cwd === undefined ? {} : { cwd: config.cwd }),
      });
      const onLine = this.#onStderrLine;
      const stderr = stdio.stderr;
      if (onLine !== undefined && stderr instanceof Readable) {
        forwardLines(stderr, this.#maxLine, (line) => onLine(workloadId, line));
      }
      // The transport calls onclose once the process has exited and its pipes closed (the
      // Client keeps a handler set before connect and calls it first).
      exited = new Promise<void>((resolve) => {
        (stdio as StdioClientTransport).onclose = resolve;
      });
      transport = stdio;
    }

    // Protocol.connect keeps a handler already on the transport and calls it first: the public
    // way to see the negotiated protocol version, which the Client does not expose.
    let negotiated: string | undefined;
    // Progress is relayed from here, under the token the client sent (the gateway passes `_meta`
    // unchanged, so the backend uses the client's own token); the SDK, which never issued it,
    // drops it afterwards. The scope is made below, before any request is sent.
    let scope: BackendMessageScope | undefined;
    transport.onmessage = (message: JSONRPCMessage) => {
      if (negotiated === undefined) negotiated = initializeProtocolVersion(message);
      if (
        scope !== undefined &&
        "method" in message &&
        message.method === "notifications/progress"
      ) {
        const { progressToken, ...progress } = (message.params ?? {}) as Record<string, unknown>;
        if (typeof progressToken === "string" || typeof progressToken === "number") {
          scope.progress(progressToken, progress as unknown as BackendProgress);
        }
      }
    };

    this.#validator ??= new sdk.ajv.AjvJsonSchemaValidator();
    const client = new sdk.client.Client(this.#clientInfo, {
      // The client's own declarations, so the backend offers what this client can do.
      capabilities: { ...(context.clientCapabilities ?? {}) },
      jsonSchemaValidator: this.#validator,
    });
    scope =
      this.#messages === undefined || context.sessionId === undefined
        ? undefined
        : new BackendMessageScope(
            { sessionId: context.sessionId, workloadId },
            this.#messages,
            stdio !== undefined,
          );
    if (scope !== undefined) {
      client.fallbackNotificationHandler = async (notification) => {
        scope.notification(
          notification.params === undefined
            ? { method: notification.method }
            : { method: notification.method, params: notification.params },
        );
      };
      // Every server-to-client request the SDK has no handler of its own for (sampling,
      // elicitation, roots...) goes to the gateway, which relays it to the client.
      client.fallbackRequestHandler = (request, extra) =>
        scope.request(
          request.params === undefined
            ? { method: request.method }
            : { method: request.method, params: request.params },
          extra.signal,
        ) as never;
    }
    const closeOnAbort = () => void client.close().catch(() => undefined);
    signal.addEventListener("abort", closeOnAbort, { once: true });
    try {
      await client.connect(transport, { signal });
      if (hint !== undefined) await client.ping({ signal });
      if (hint !== undefined && http !== undefined && scope !== undefined) {
        // The SDK opens the standalone stream only after `initialize`, which a reattach skips.
        openStandaloneStream(sdk, http, client);
      }
    } catch (error) {
      await client.close().catch(() => undefined);
      if (signal.aborted) throw abortError(workloadId, signal);
      const mapped = mapBackendError(sdk, workloadId, hint?.sessionId ?? "", error);
      if (mapped instanceof BackendSessionExpiredError) throw mapped;
      throw new BackendConnectError(workloadId, describeError(error), { cause: error });
    } finally {
      signal.removeEventListener("abort", closeOnAbort);
    }

    const pid = stdio?.pid ?? null;
    if (pid !== null && exited !== undefined) this.#processes.add(pid, exited);
    const connection = new McpBackendConnection({
      workloadId,
      sdk,
      client,
      transport,
      http,
      protocolVersion: negotiated ?? hint?.protocolVersion,
      capabilities: client.getServerCapabilities() ?? hint?.capabilities,
      instructions: client.getInstructions(),
      exited,
      messages: scope,
    });
    if (this.#closed !== undefined) {
      // Closed while connecting: nothing may keep a process the connector no longer stops.
      await connection.close();
      throw new BackendConnectError(workloadId, "the connector is closed");
    }
    return connection;
  }
}

/** Longest pause between two tries to open a reattached connection's standalone stream, ms. */
const StandaloneRetryMaxMs = 30_000;

/**
 * Opens the backend's standalone GET stream for a reattached connection. A backend offering none
 * (405) is left alone. One that refuses with 409 has it open to another connection to the same
 * backend session (another replica's): tried again, with a doubling pause up to
 * {@link StandaloneRetryMaxMs}, while this connection is open, so the stream comes here once that
 * replica lets go of it (closed, evicted the session, died).
 */
function openStandaloneStream(
  sdk: McpSdkClientModules,
  http: StreamableHTTPClientTransport,
  client: { readonly transport: Transport | undefined },
  attempt = 0,
): void {
  if (client.transport === undefined) return; // closed
  http.resumeStream("").catch((error: unknown) => {
    if (!(error instanceof sdk.http.StreamableHTTPError) || error.code !== 409) return;
    const pause = Math.min(StandaloneRetryMaxMs, 1_000 * 2 ** attempt);
    setTimeout(() => openStandaloneStream(sdk, http, client, attempt + 1), pause).unref();
  });
}

function initializeProtocolVersion(message: JSONRPCMessage): string | undefined {
  if (!("result" in message)) return undefined;
  const result: Record<string, unknown> = message.result;
  const version = result.protocolVersion;
  return typeof version === "string" && "capabilities" in result ? version : undefined;
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
