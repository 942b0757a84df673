import {
  isJSONRPCErrorResponse,
  isJSONRPCNotification,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  PROTOCOL_VERSION_META_KEY,
  ProtocolError,
  SdkError,
  SdkErrorCode,
  StreamableHTTPClientTransport,
} from "@modelcontextprotocol/client";
import type { ModernBackend } from "../backends/modern-backends.js";
import { type RelayedRequest, type RelayedResult, withoutServerInfo } from "./backend-call.js";

/** The revision the gateway speaks with modern backends (the one it serves). */
const Revision = "2026-07-28";

/** The JSON-RPC ID of the one request each raw call sends (its transport is its own). */
const RequestId = 1;

/**
 * Sends one 2026-07-28 request to a modern backend and resolves its raw result, for the results
 * the SDK client refuses: a `tools/call` the backend may answer with a task (`resultType:
 * "task"`, tasks extension), and the extension's `tasks/get`, `tasks/update` and `tasks/cancel`.
 * It uses the SDK's own Streamable HTTP transport without its `Client`, so the wire is the
 * SDK's (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name` from the body, JSON or SSE answers, the
 * backend's headers) and no result decoder stands between the backend and the caller. Like
 * {@link callBackend}:
 * - `_meta` is the caller's, mirrored (`mirrorMeta`), with the gateway's protocol version; the
 *   caller's progress token is passed as it is, and the backend's progress under it goes to the
 *   caller;
 * - log messages go to the caller only when it set a log level;
 * - the caller's disconnect (`signal`) aborts the request, which closes its stream;
 * - the call is bounded by `timeoutMs`, reset by each progress notification;
 * - the result is the backend's (`resultType` included), but for `_meta`'s serverInfo.
 * @throws {ProtocolError} the backend's JSON-RPC error; {@link SdkError} `REQUEST_TIMEOUT` past
 *   the bound (as the SDK client's); the transport's error for an unreachable backend or an HTTP
 *   error status; the caller's abort reason when it went away.
 */
export async function rawBackendCall(
  backend: ModernBackend,
  method: string,
  params: Readonly<Record<string, unknown>>,
  request: RelayedRequest,
): Promise<RelayedResult> {
  const transport = new StreamableHTTPClientTransport(new URL(backend.url), {
    requestInit: { headers: { ...backend.headers } },
    ...(request.fetch === undefined ? {} : { fetch: request.fetch }),
  });
  await transport.start();
  const token = request.meta.progressToken;
  const message: JSONRPCMessage = {
    jsonrpc: "2.0",
    id: RequestId,
    method,
    params: {
      ...params,
      _meta: {
        ...request.meta.meta,
        [PROTOCOL_VERSION_META_KEY]: Revision,
        ...(token === undefined ? {} : { progressToken: token }),
      },
    },
  };
  const stop = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<RelayedResult>((resolve, reject) => {
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        outcome();
      };
      const fail = (error: unknown) => settle(() => reject(error));
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(
          () =>
            fail(
              new SdkError(
                SdkErrorCode.RequestTimeout,
                `no answer within ${request.timeoutMs} ms`,
                { timeout: request.timeoutMs },
              ),
            ),
          request.timeoutMs,
        );
      };
      const callerGone = () => fail(request.signal.reason ?? new Error("the caller went away"));
      if (request.signal.aborted) return callerGone();
      request.signal.addEventListener("abort", callerGone, { once: true });
      stop.signal.addEventListener(
        "abort",
        () => request.signal.removeEventListener("abort", callerGone),
        { once: true },
      );
      transport.onmessage = (incoming) => {
        if (isJSONRPCResultResponse(incoming) && incoming.id === RequestId) {
          settle(() => resolve(withoutServerInfo(incoming.result as RelayedResult)));
        } else if (isJSONRPCErrorResponse(incoming) && incoming.id === RequestId) {
          const { code, message: text, data } = incoming.error;
          fail(ProtocolError.fromError(code, text, data));
        } else if (isJSONRPCNotification(incoming)) {
          relayNotification(incoming, request, token, arm);
        }
      };
      arm();
      transport
        .send(message, {
          requestSignal: stop.signal,
          ...(request.paramHeaders === undefined ? {} : { headers: { ...request.paramHeaders } }),
          onRequestStreamEnd: () =>
            fail(new Error(`backend ${backend.workloadId} ended its answer without a result`)),
        })
        .catch(fail);
    });
  } finally {
    clearTimeout(timer);
    // Closes the request's stream when the call ended without its answer (timeout, caller gone).
    stop.abort();
    await transport.close().catch(() => undefined);
  }
}

/** A notification on the request's stream: progress under the caller's token, logs when asked. */
function relayNotification(
  notification: { method: string; params?: Record<string, unknown> | undefined },
  request: RelayedRequest,
  token: string | number | undefined,
  arm: () => void,
): void {
  if (notification.method === "notifications/progress") {
    arm();
    if (token === undefined) return;
    const { progressToken: _, ...progress } = notification.params ?? {};
    void request
      .notify({
        method: "notifications/progress",
        params: { ...progress, progressToken: token },
      } as never)
      .catch(() => undefined);
  } else if (notification.method === "notifications/message" && request.meta.logs) {
    void request.notify(notification as never).catch(() => undefined);
  }
}
