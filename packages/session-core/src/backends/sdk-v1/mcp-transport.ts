import { Readable } from "node:stream";
import type { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { definedFields } from "../../defined-fields.js";
import type { BackendReattachHint } from "../backend-connector.js";
import type { BackendMessageScope } from "../backend-message-scope.js";
import type { BackendProgress } from "../backend-messages.js";
import type { BackendTransportConfig } from "../backend-target.js";
import type { FetchFunction } from "../node-http-fetch.js";
import { forwardLines } from "../stderr-lines.js";
import { loadSdkStdio, type McpSdkClientModules } from "./mcp-sdk-loader.js";

/** The SDK transport of one connect, and what kind it is. */
export interface OpenedTransport {
  readonly transport: Transport;
  /** The Streamable HTTP transport, when the backend speaks HTTP. */
  readonly http: StreamableHTTPClientTransport | undefined;
  /** The stdio transport, when the connect spawns a process. */
  readonly stdio: StdioClientTransport | undefined;
  /** A stdio backend's process: resolves once it has exited and its pipes closed. */
  readonly exited: Promise<void> | undefined;
}

/**
 * A Streamable HTTP transport; with a reattach `hint`, made with the stored session ID and
 * protocol version, so `Client.connect` sends no `initialize`.
 */
export function openHttpTransport(
  sdk: McpSdkClientModules,
  config: Extract<BackendTransportConfig, { kind: "streamable-http" }>,
  hint: BackendReattachHint | undefined,
  fetch: FetchFunction,
): OpenedTransport {
  const http = new sdk.http.StreamableHTTPClientTransport(new URL(config.url), {
    fetch,
    ...definedFields({
      sessionId: hint?.sessionId,
      requestInit: config.headers && { headers: { ...config.headers } },
    }),
  });
  if (hint?.protocolVersion !== undefined) http.setProtocolVersion(hint.protocolVersion);
  return { transport: http, http, stdio: undefined, exited: undefined };
}

/** How a stdio backend's stderr is handled: where it goes, and who gets its lines when piped. */
export interface StderrHandling {
  readonly mode: "inherit" | "ignore" | "pipe";
  /** Called per line (with a bound on its length) when set. */
  readonly onLine: ((line: string) => void) | undefined;
  /** Longest line handed to `onLine`, characters. */
  readonly maxLineLength: number;
}

/** A stdio transport for a new process (stderr handled as asked). */
export async function openStdioTransport(
  config: Extract<BackendTransportConfig, { kind: "stdio" }>,
  stderr: StderrHandling,
): Promise<OpenedTransport> {
  const { StdioClientTransport } = await loadSdkStdio();
  const stdio = new StdioClientTransport({
    command: config.command,
    stderr: stderr.mode,
    ...definedFields({
      args: config.args && [...config.args],
      env: config.env && { ...config.env },
      cwd: config.cwd,
    }),
  });
  const { onLine } = stderr;
  if (onLine !== undefined && stdio.stderr instanceof Readable) {
    forwardLines(stdio.stderr, stderr.maxLineLength, onLine);
  }
  // The transport calls onclose once the process has exited and its pipes closed (the Client
  // keeps a handler set before connect and calls it first).
  const exited = new Promise<void>((resolve) => {
    stdio.onclose = resolve;
  });
  return { transport: stdio, http: undefined, stdio, exited };
}

/** What {@link watchTransport} sees on a transport before the SDK client does. */
export interface TransportWatch {
  /** The protocol version the backend's `initialize` result negotiated, once seen. */
  negotiated(): string | undefined;
  /** From now on, hands the backend's progress notifications to `scope`. */
  relayProgressTo(scope: BackendMessageScope): void;
}

/**
 * Watches every message a transport receives. Protocol.connect keeps a handler already on the
 * transport and calls it first: the public way to see the negotiated protocol version, which the
 * Client does not expose. Progress is relayed from here, under the token the client sent (the
 * gateway passes `_meta` unchanged, so the backend uses the client's own token); the SDK, which
 * never issued it, drops it afterwards.
 */
export function watchTransport(transport: Transport): TransportWatch {
  let negotiated: string | undefined;
  let scope: BackendMessageScope | undefined;
  transport.onmessage = (message: JSONRPCMessage) => {
    if (negotiated === undefined) negotiated = initializeProtocolVersion(message);
    if (scope !== undefined && "method" in message && message.method === "notifications/progress") {
      const { progressToken, ...progress } = (message.params ?? {}) as Record<string, unknown>;
      if (typeof progressToken === "string" || typeof progressToken === "number") {
        scope.progress(progressToken, progress as unknown as BackendProgress);
      }
    }
  };
  return {
    negotiated: () => negotiated,
    relayProgressTo(target) {
      scope = target;
    },
  };
}

function initializeProtocolVersion(message: JSONRPCMessage): string | undefined {
  if (!("result" in message)) return undefined;
  const result: Record<string, unknown> = message.result;
  const version = result.protocolVersion;
  return typeof version === "string" && "capabilities" in result ? version : undefined;
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
export function openStandaloneStream(
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
