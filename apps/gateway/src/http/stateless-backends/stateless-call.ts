import {
  Client,
  type DiscoverResult,
  type Notification,
  SERVER_INFO_META_KEY,
  StreamableHTTPClientTransport,
} from "@modelcontextprotocol/client";
import type { FetchFunction } from "@vmcp/session-core";
import { GatewayServerInfo } from "../../server-info.js";

/** A 2026-07-28 backend the gateway reaches statelessly: one request per call, no session. */
export interface StatelessBackend {
  readonly workloadId: string;
  /** Its Streamable HTTP endpoint. */
  readonly url: string;
  /** The headers the gateway sends it, as configured. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Its `server/discover` answer, adopted by each call's client (`prior`: no round trip). */
  readonly discover: DiscoverResult;
}

/** The `_meta` of a relayed backend request, and what the relay must do with its notifications. */
export interface MirroredMeta {
  /**
   * The `_meta` the backend gets: every key the caller sent (client capabilities, client info,
   * log level, `traceparent`...) except the protocol version, which the gateway's own backend
   * client sets for the revision it speaks with that backend, and the progress token, which the
   * backend client replaces with its own (progress is mapped back to the caller's).
   */
  readonly meta: Record<string, unknown>;
  /** The caller's progress token; absent when it asked for no progress. */
  readonly progressToken?: string | number;
  /** Whether the caller asked for log messages (a log level), so the backend's reach it. */
  readonly logs: boolean;
}

/** What one relayed call carries from the caller's request. */
export interface RelayedRequest {
  /** The caller's `_meta`, mirrored. */
  readonly meta: MirroredMeta;
  /** The caller's disconnect: aborting it closes the backend request's stream. */
  readonly signal: AbortSignal;
  /** Sends a notification to the caller (its response stream). */
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
 * Sends one 2026-07-28 request to a stateless backend and resolves its result, through an SDK v2
 * `Client` made for this call alone (connected with the stored `discover` as its `prior`: nothing
 * goes on the wire but the request), so the notifications on the request's stream belong to this
 * call. Both eras' clients reach modern backends through it:
 * - `_meta` is the caller's, mirrored (the SDK fills in the envelope keys the caller left out);
 * - progress goes to the caller under the caller's own progress token (only when it gave one);
 * - log messages go to the caller only when it asked for them (`meta.logs`);
 * - the caller's disconnect (`signal`) aborts the request, which closes its stream, so the
 *   backend's handler sees its own signal fire.
 * An `input_required` result comes back as the backend gave it (`allowInputRequired`): the SDK's
 * own auto-fulfilment is off. The result is the backend's, but for
 * `_meta["io.modelcontextprotocol/serverInfo"]`: the gateway is the server its client talks to.
 * @throws the client's error: a backend JSON-RPC error (`ProtocolError`), a transport failure, a
 *   timeout (`SdkError` `REQUEST_TIMEOUT`), or the abort.
 */
export async function callStatelessBackend(
  backend: StatelessBackend,
  method: string,
  params: Readonly<Record<string, unknown>>,
  request: RelayedRequest,
): Promise<RelayedResult> {
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
