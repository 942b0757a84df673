import type { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { Implementation, JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type {
  BackendConnection,
  BackendConnector,
  BackendReattachHint,
} from "./backend-connector.js";
import type { BackendTarget } from "./backend-target.js";
import { BackendConnectError, BackendSessionExpiredError } from "./errors.js";
import { McpBackendConnection, mapBackendError } from "./mcp-backend-connection.js";
import { loadSdkClient, loadSdkStdio, type McpSdkClientModules } from "./mcp-sdk-loader.js";
import { createNodeHttpFetch, type FetchFunction } from "./node-http-fetch.js";

/** Options for {@link McpBackendConnector}. */
export interface McpBackendConnectorOptions {
  /** How the gateway introduces itself to backends at `initialize`. Default `{ name: "vmcp-gateway", version: "0.1.0" }`. */
  readonly clientInfo?: Implementation;
  /** What happens to a stdio backend's stderr: `"inherit"` (default, the gateway's stderr), `"ignore"` or `"pipe"`. */
  readonly stdioStderr?: "inherit" | "ignore" | "pipe";
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

  constructor(options: McpBackendConnectorOptions = {}) {
    this.#clientInfo = options.clientInfo ?? { name: "vmcp-gateway", version: "0.1.0" };
    this.#stderr = options.stdioStderr ?? "inherit";
  }

  async connect(
    target: BackendTarget,
    hint: BackendReattachHint | undefined,
    signal: AbortSignal,
  ): Promise<BackendConnection> {
    const { workloadId } = target;
    const sdk = await loadSdkClient();
    if (signal.aborted) throw abortError(workloadId, signal);

    let transport: Transport;
    let http: StreamableHTTPClientTransport | undefined;
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
      transport = new StdioClientTransport({
        command: config.command,
        stderr: this.#stderr,
        ...(config.args === undefined ? {} : { args: [...config.args] }),
        ...(config.env === undefined ? {} : { env: { ...config.env } }),
        ...(config.cwd === undefined ? {} : { cwd: config.cwd }),
      });
    }

    // Protocol.connect keeps a handler already on the transport and calls it first: the public
    // way to see the negotiated protocol version, which the Client does not expose.
    let negotiated: string | undefined;
    transport.onmessage = (message: JSONRPCMessage) => {
      if (negotiated === undefined) negotiated = initializeProtocolVersion(message);
    };

    this.#validator ??= new sdk.ajv.AjvJsonSchemaValidator();
    const client = new sdk.client.Client(this.#clientInfo, {
      capabilities: {},
      jsonSchemaValidator: this.#validator,
    });
    const closeOnAbort = () => void client.close().catch(() => undefined);
    signal.addEventListener("abort", closeOnAbort, { once: true });
    try {
      await client.connect(transport, { signal });
      if (hint !== undefined) await client.ping({ signal });
    } catch (error) {
      await client.close().catch(() => undefined);
      if (signal.aborted) throw abortError(workloadId, signal);
      const mapped = mapBackendError(sdk, workloadId, hint?.sessionId ?? "", error);
      if (mapped instanceof BackendSessionExpiredError) throw mapped;
      throw new BackendConnectError(workloadId, describeError(error), { cause: error });
    } finally {
      signal.removeEventListener("abort", closeOnAbort);
    }

    return new McpBackendConnection({
      workloadId,
      sdk,
      client,
      transport,
      http,
      protocolVersion: negotiated ?? hint?.protocolVersion,
      capabilities: client.getServerCapabilities() ?? hint?.capabilities,
    });
  }
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
