import {
  CLIENT_CAPABILITIES_META_KEY,
  type ClientCapabilities,
} from "@modelcontextprotocol/server";
import { BackendUnavailableError, type ManagedSession } from "@vmcp/session-core";
import type { PooledCallRequest, PooledChannel } from "../backends/pooled-channel.js";
import { ParkableCall, type ParkableCallTimes, type ParkingLot } from "../parked/parkable-call.js";
import type { ParkedCallRecords } from "../parked/parked-call-record.js";
import type { PooledMessages } from "./pooled-messages.js";

/** The `_meta` keys of the 2026-07-28 envelope, which a 2025-era backend is not sent. */
const EnvelopePrefix = "io.modelcontextprotocol/";

/** The methods whose calls may park for the client's input (those that may answer `input_required`). */
const ParkableMethods: ReadonlySet<string> = new Set([
  "tools/call",
  "prompts/get",
  "resources/read",
]);

/** How the calls of a pooled channel park for their client's input. */
export interface CallParking {
  /** This replica's table of parked calls. */
  readonly lot: ParkingLot;
  /** Park timeout, batching tick and notification buffer (the call timeout is the request's). */
  readonly times: Omit<ParkableCallTimes, "callTimeoutMs">;
  /**
   * Holds the pooled backend session for a call that may park (not evicted for its caller's
   * bound, an anonymous caller's not terminated); resolves the function that lets it go.
   */
  readonly hold: () => () => void;
  /**
   * Where a parked call to an HTTP backend is recorded (pooled session, backend, backend request
   * ID), so another replica can cancel it should this one die; absent: not recorded.
   */
  readonly records?: ParkedCallRecords;
}

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
 * With `parking`, a `tools/call`, `prompts/get` or `resources/read` is a {@link ParkableCall}:
 * the backend's sampling, elicitation and roots requests during it become `input_required`
 * rounds for the caller, the call parked on this replica in between.
 */
export class PooledCall implements PooledChannel {
  readonly #session: ManagedSession;
  readonly #workloadId: string;
  readonly #messages: PooledMessages;
  readonly #parking: CallParking | undefined;
  readonly #http: boolean;

  /**
   * @param http whether the backend speaks Streamable HTTP (its parked calls are recorded for
   *   cancellation from another replica; a stdio backend's process dies with its replica).
   */
  constructor(
    session: ManagedSession,
    workloadId: string,
    messages: PooledMessages,
    parking?: CallParking,
    http = false,
  ) {
    this.#session = session;
    this.#workloadId = workloadId;
    this.#messages = messages;
    this.#parking = parking;
    this.#http = http;
  }

  call(
    method: string,
    params: Readonly<Record<string, unknown>>,
    request: PooledCallRequest,
  ): Promise<Record<string, unknown>> {
    const parking = this.#parking;
    if (parking === undefined || !ParkableMethods.has(method)) {
      return this.#plain(method, params, request);
    }
    const release = parking.hold();
    const records = this.#http ? parking.records : undefined;
    let requestId: string | number | undefined;
    let recorded: string | undefined;
    const call = new ParkableCall({
      ...parking.times,
      callTimeoutMs: request.timeoutMs,
      workloadId: this.#workloadId,
      capabilities: capabilitiesOf(request.meta.meta),
      lot: parking.lot,
      onParked: (callId) => {
        if (records === undefined || requestId === undefined) return;
        recorded = callId;
        // It outlives the wait for the retry and one turn of work after it.
        const expiresAt = Date.now() + parking.times.parkTimeoutMs + request.timeoutMs;
        const info = { sessionId: this.#session.id, workloadId: this.#workloadId, requestId };
        // Written before the round leaves (never rejects): the holder may die right after it.
        return records.write(callId, info, expiresAt);
      },
      onEnd: () => {
        release();
        if (recorded !== undefined) void records?.delete(recorded);
      },
    });
    const token = request.meta.progressToken;
    let first: Promise<Record<string, unknown>> | undefined;
    // The scope lives as long as the backend request (across the turns), not the first turn.
    void this.#messages
      .run(
        {
          sessionId: this.#session.id,
          workloadId: this.#workloadId,
          // The call filters logs by the turn waiting on it (the first request, or a retry).
          logs: true,
          notify: async (n) => call.notify(n),
          input: (message, signal) => call.input(message, signal),
          ...(token === undefined ? {} : { callerToken: token }),
        },
        (gatewayToken) => {
          const backend = this.#session.request(
            this.#workloadId,
            method,
            withMeta(params, request, gatewayToken),
            {
              signal: call.signal,
              onRequestId: (id) => {
                requestId = id;
              },
            },
          );
          first = call.start(() => backend, {
            notify: (n) => void request.notify(n).catch(() => undefined),
            ...(token === undefined ? {} : { progressToken: token }),
            logs: request.meta.logs,
            signal: request.signal,
          });
          return backend;
        },
      )
      .catch(() => undefined);
    if (first === undefined) {
      release();
      return Promise.reject(new Error("the parkable call did not start"));
    }
    return first;
  }

  async #plain(
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

/** The client capabilities a request's mirrored `_meta` declares. */
function capabilitiesOf(meta: Readonly<Record<string, unknown>>): ClientCapabilities | undefined {
  const declared = meta[CLIENT_CAPABILITIES_META_KEY];
  return typeof declared === "object" && declared !== null
    ? (declared as ClientCapabilities)
    : undefined;
}
