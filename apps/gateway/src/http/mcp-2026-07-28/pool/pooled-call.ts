import { BackendUnavailableError, type ManagedSession } from "@vmcp/session-core";
import type { PooledCallRequest, PooledChannel } from "../backends/pooled-channel.js";
import type { PooledMessages } from "./pooled-messages.js";

/** The `_meta` keys of the 2026-07-28 envelope, which a 2025-era backend is not sent. */
const EnvelopePrefix = "io.modelcontextprotocol/";

/**
 * The channel to backend `workloadId` of one pooled backend session: each call is the session's
 * generic request (so an expired backend session is initialised again and written back, and a
 * lost connection recovered, by the session layer), with
 * - the caller's `_meta` but for the 2026-07-28 envelope keys (the backend speaks 2025), and a
 *   progress token of the gateway's own when the caller asked for progress, mapped back to the
 *   caller's (see `PooledMessages`);
 * - the caller's log messages when it set a log level;
 * - the caller's disconnect cancelling the backend request (`notifications/cancelled`);
 * - a bound of `timeoutMs`, started again by each progress notification, past which the call is
 *   `BackendUnavailableError` (-32004 naming the backend).
 */
export class PooledCall implements PooledChannel {
  readonly #session: ManagedSession;
  readonly #workloadId: string;
  readonly #messages: PooledMessages;

  constructor(session: ManagedSession, workloadId: string, messages: PooledMessages) {
    this.#session = session;
    this.#workloadId = workloadId;
    this.#messages = messages;
  }

  async call(
    method: string,
    params: Readonly<Record<string, unknown>>,
    request: PooledCallRequest,
  ): Promise<Record<string, unknown>> {
    const controller = new AbortController();
    const onAbort = () => controller.abort(request.signal.reason);
    if (request.signal.aborted) onAbort();
    else request.signal.addEventListener("abort", onAbort, { once: true });
    let timedOut = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        controller.abort(new DOMException("the backend call timed out", "TimeoutError"));
      }, request.timeoutMs);
    };
    arm();
    const token = request.meta.progressToken;
    try {
      return await this.#messages.run(
        {
          sessionId: this.#session.id,
          workloadId: this.#workloadId,
          logs: request.meta.logs,
          notify: request.notify,
          ...(token === undefined ? {} : { callerToken: token, onProgress: arm }),
        },
        (gatewayToken) =>
          this.#session.request(this.#workloadId, method, withMeta(params, request, gatewayToken), {
            signal: controller.signal,
          }),
      );
    } catch (error) {
      if (!timedOut) throw error;
      throw new BackendUnavailableError(
        this.#workloadId,
        `no answer within ${request.timeoutMs} ms`,
        { cause: error },
      );
    } finally {
      clearTimeout(timer);
      request.signal.removeEventListener("abort", onAbort);
    }
  }
}

/** `params` with the `_meta` a 2025-era backend is sent (none when nothing is left of it). */
function withMeta(
  params: Readonly<Record<string, unknown>>,
  request: PooledCallRequest,
  progressToken: string | undefined,
): Record<string, unknown> {
  const meta: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(request.meta.meta)) {
    if (!key.startsWith(EnvelopePrefix)) meta[key] = value;
  }
  if (progressToken !== undefined) meta.progressToken = progressToken;
  const { _meta: _, ...rest } = params;
  return Object.keys(meta).length === 0 ? rest : { ...rest, _meta: meta };
}
