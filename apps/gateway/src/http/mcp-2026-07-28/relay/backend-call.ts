import {
  Client,
  type Notification,
  SERVER_INFO_META_KEY,
  StreamableHTTPClientTransport,
} from "@modelcontextprotocol/client";
import type { FetchFunction } from "@vmcp/session-core";
import { GatewayServerInfo } from "../../../server-info.js";
import type { MirroredMeta } from "../backends/mirrored-meta.js";
import type { ModernBackend } from "../backends/modern-backends.js";

/** What one relayed call carries from the caller's request. */
export interface RelayedRequest {
  /** The caller's `_meta`, mirrored (see `mirrorMeta`). */
  readonly meta: MirroredMeta;
  /** The caller's disconnect: aborting it closes the backend request's stream. */
  readonly signal: AbortSignal;
  /** Sends a notification on the caller's response (its SSE stream). */
  readonly notify: (notification: Notification) => Promise<void>;
  /** `Mcp-Param-*` headers of the caller's request, forwarded unchanged. */
  readonly paramHeaders?: Readonly<Record<string, string>>;
  /** Bound on the call, ms, reset by each progress notification. */
  readonly timeoutMs: number;
  /** The fetch the backend transport uses (the gateway shares one keep-alive `node:http` fetch). */
  readonly fetch?: FetchFunction;
}

/** A backend's result as the relay passes it on. */
export type RelayedResult = Record<string, unknown>;

/**
 * Sends one request to a modern backend and resolves its result, through an SDK v2 `Client` made
 * for this call alone (connected with the stored `discover` as its `prior`: nothing goes on the
 * wire but the request), so the notifications on the request's stream belong to this call:
 * - `_meta` is the caller's, mirrored (see `mirrorMeta`);
 * - progress goes to the caller under the caller's own progress token (only when it gave one);
 * - log messages go to the caller only when it set a log level;
 * - the caller's disconnect (`signal`) aborts the request, which closes its stream, so the
 *   backend's handler sees its own signal fire.
 * An `input_required` result comes back as the backend gave it (`allowInputRequired`). The
 * result is the backend's, but for `_meta["io.modelcontextprotocol/serverInfo"]`: the gateway is
 * the server its client talks to, so the SDK stamps the gateway's own. A backend with a `pooled`
 * channel (2025-era or stdio) is called through it instead (see `PooledCall`).
 * @throws the client's error: a backend JSON-RPC error (`ProtocolError`), a transport failure, a
 *   timeout, or the abort.
 */
export async function callBackend(
  backend: ModernBackend,
  method: string,
  params: Readonly<Record<string, unknown>>,
  request: RelayedRequest,
): Promise<RelayedResult> {
  // A 2025-era or stdio backend: through the caller's pooled backend session.
  if (backend.pooled !== undefined) return backend.pooled.call(method, params, request);
  const client = new Client(GatewayServerInfo, { inputRequired: { autoFulfill: false } });
  const transport = new StreamableHTTPClientTransport(new URL(backend.url), {
    requestInit: { headers: { ...backend.headers } },
    ...(request.fetch === undefined ? {} : { fetch: request.fetch }),
  });
  await client.connect(transport, { prior: { kind: "modern", discover: backend.discover } });
  try {
    if (request.meta.logs) {
      client.setNotificationHandler("notifications/message", (n) => request.notify(n));
    }
    const token = request.meta.progressToken;
    const result = (await client.request(
      { method, params: { ...params, _meta: request.meta.meta } } as never,
      {
        allowInputRequired: true,
        signal: request.signal,
        timeout: request.timeoutMs,
        resetTimeoutOnProgress: true,
        ...(request.paramHeaders === undefined ? {} : { headers: request.paramHeaders }),
        ...(token === undefined
          ? {}
          : {
              onprogress: (progress) => {
                void request
                  .notify({
                    method: "notifications/progress",
                    params: { ...progress, progressToken: token },
                  })
                  .catch(() => undefined);
              },
            }),
      },
    )) as RelayedResult;
    return withoutServerInfo(result);
  } finally {
    await client.close().catch(() => undefined);
  }
}

/**
 * `result` without `_meta["io.modelcontextprotocol/serverInfo"]` (the backend's): the SDK stamps
 * the gateway's own, the server its client talks to. `_meta` goes when nothing else is in it.
 */
export function withoutServerInfo(result: RelayedResult): RelayedResult {
  const meta = result._meta;
  if (typeof meta !== "object" || meta === null || !(SERVER_INFO_META_KEY in meta)) return result;
  const { [SERVER_INFO_META_KEY]: _, ...rest } = meta as Record<string, unknown>;
  const { _meta: __, ...body } = result;
  return Object.keys(rest).length === 0 ? body : { ...body, _meta: rest };
}
