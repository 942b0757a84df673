import { randomBytes } from "node:crypto";
import type { Notification } from "@modelcontextprotocol/server";
import type { BusSubscription, SessionMessageBus, SessionOwner } from "@vmcp/session-core";
import { rpcErrorOf } from "../../../json-rpc/error-mapping.js";
import { failureReason } from "../../../log-redaction.js";
import type { GatewayLogger } from "../../../logger.js";
import { countParkedLoss } from "../../../telemetry/parked-instruments.js";
import { ParkedRouteKey } from "../backends/pooled-channel.js";
import type { ParkedResume } from "../relay/modern-relay.js";
import type { ParkedCallRoute } from "../request-state/request-state-port.js";
import type { CallSink } from "./call-sink.js";
import {
  type HolderMessage,
  parkChannel,
  type ResumeMessage,
  readParkMessage,
} from "./park-messages.js";
import type { ParkedCalls } from "./parked-calls.js";
import { ParkedCallGoneError } from "./parked-errors.js";

type Result = Record<string, unknown>;

/** Default bound on a holder's acknowledgement of a resume: 2,000 ms. */
export const DefaultParkAckTimeoutMs = 2_000;
/** Default period of a holder's heartbeats while a resumed call works: 1,000 ms. */
export const DefaultParkHeartbeatMs = 1_000;
/** Default heartbeats a retry may miss before its holder counts as gone: 3. */
export const DefaultParkMissedHeartbeats = 3;
/** Default pause between tries to subscribe to a replica's parked-call channel, ms: 1,000. */
export const DefaultParkSubscribeRetryMs = 1_000;

/** Options of {@link ParkedCallRouter}. */
export interface ParkedCallRouterOptions {
  readonly bus: SessionMessageBus;
  /** This replica's parked calls. */
  readonly calls: ParkedCalls;
  /** Bound on the holder's acknowledgement of a resume, ms. */
  readonly ackTimeoutMs: number;
  /** Period of the holder's heartbeats while a resumed call works, ms. */
  readonly heartbeatMs: number;
  /** Heartbeats a retry may miss before the holder counts as gone. */
  readonly missedHeartbeats: number;
  /**
   * Told when a holder is lost to a retry (no acknowledgement, or heartbeats missed), so what the
   * call left on a backend may be cancelled from here. Never awaited.
   */
  readonly onHolderLost?: (
    route: ParkedCallRoute,
    workloadId: string,
    owner: SessionOwner | undefined,
  ) => void;
  readonly log: GatewayLogger;
  /**
   * Pause between tries to subscribe to this replica's channel while the bus cannot be reached,
   * ms; default {@link DefaultParkSubscribeRetryMs} (1,000).
   */
  readonly subscribeRetryMs?: number;
}

interface Waiter {
  readonly route: ParkedCallRoute;
  readonly request: ParkedResume;
  readonly resolve: (result: Result) => void;
  readonly reject: (error: unknown) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Resumes parked calls wherever they are held. A retry whose state names this replica resumes
 * the call in its table; one that names another sends `resume` on the bus to that replica's
 * channel and waits: without `ack` within `ackTimeoutMs`, or without any message for
 * `heartbeatMs × missedHeartbeats` afterwards, the retry fails at once with
 * {@link ParkedCallGoneError} (never a hang), counted in `vmcp.calls.parked.lost` as
 * `holder_gone`. As holder, it serves the resumes other replicas
 * send: `ack` (or `gone` for a call it does not hold), the call's notifications, heartbeats, and
 * the outcome; a `cancel` cancels the call. Messages over the bus's size bound (a huge result)
 * are answered as the bus's typed error instead.
 */
export class ParkedCallRouter {
  readonly #o: ParkedCallRouterOptions;
  readonly #waiting = new Map<string, Waiter>();
  readonly #serving = new Map<string, AbortController>();
  #subscription: BusSubscription | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(options: ParkedCallRouterOptions) {
    this.#o = options;
  }

  /**
   * Subscribes to this replica's channel. Resolves after the first try: a bus that cannot be
   * reached (Redis down at startup) is logged once at `info` and tried again every
   * `subscribeRetryMs` in the background until it answers (logged at `info`), so the replica
   * starts and serves meanwhile; until then a retry from another replica finds no holder here
   * (-32004 `VMCP_PARKED_CALL_GONE` within its ack bound) and calls parked here resume only on
   * this replica.
   */
  async start(): Promise<void> {
    await this.#subscribe(false);
  }

  async #subscribe(failedBefore: boolean): Promise<void> {
    if (this.#closed) return;
    try {
      const subscription = await this.#o.bus.subscribe(
        parkChannel(this.#o.calls.replicaId),
        (text) => this.#receive(text),
      );
      if (this.#closed) {
        await subscription.unsubscribe();
        return;
      }
      this.#subscription = subscription;
      if (failedBefore) this.#o.log.info("parked calls: subscribed to this replica's bus channel");
    } catch (error) {
      if (this.#closed) return;
      if (!failedBefore) {
        this.#o.log.info(
          { reason: failureReason(error) },
          "parked calls: this replica's bus channel is not subscribed yet; retries from other replicas cannot reach its parked calls until it is",
        );
      }
      this.#retry = setTimeout(
        () => void this.#subscribe(true),
        this.#o.subscribeRetryMs ?? DefaultParkSubscribeRetryMs,
      );
      this.#retry.unref();
    }
  }

  /**
   * Resumes the parked call `route` with a retry's answers: its result, another round
   * (`input_required`, the route under `ParkedRouteKey`), or the call's error.
   * @throws {ParkedCallGoneError} when the call or its holder is gone.
   */
  resume(route: ParkedCallRoute, request: ParkedResume): Promise<Result> {
    if (route.replicaId === this.#o.calls.replicaId) return this.#local(route, request);
    return this.#remote(route, request);
  }

  /** Unsubscribes; retries waiting fail as gone. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    const subscription = this.#subscription;
    this.#subscription = undefined;
    for (const [id, waiter] of this.#waiting) {
      this.#done(id);
      waiter.reject(new ParkedCallGoneError(waiter.request.workloadId, "this replica is closing"));
    }
    for (const controller of this.#serving.values()) controller.abort();
    await subscription?.unsubscribe();
  }

  #local(route: ParkedCallRoute, request: ParkedResume): Promise<Result> {
    const call = this.#o.calls.get(route.callId);
    if (call === undefined) {
      return Promise.reject(
        new ParkedCallGoneError(request.workloadId, "it timed out waiting for input, or ended"),
      );
    }
    return call.resume(request.inputResponses, {
      notify: (n) => void request.notify(n).catch(() => undefined),
      ...(request.progressToken === undefined ? {} : { progressToken: request.progressToken }),
      logs: request.logs,
      signal: request.signal,
    });
  }

  async #remote(route: ParkedCallRoute, request: ParkedResume): Promise<Result> {
    const resumeId = randomBytes(12).toString("base64url");
    const message: ResumeMessage = {
      k: "resume",
      callId: route.callId,
      resumeId,
      replyTo: this.#o.calls.replicaId,
      inputResponses: request.inputResponses,
      progress: request.progressToken !== undefined,
      logs: request.logs,
    };
    request.signal.throwIfAborted();
    const answered = new Promise<Result>((resolve, reject) => {
      const waiter: Waiter = { route, request, resolve, reject, timer: undefined };
      this.#waiting.set(resumeId, waiter);
      this.#watch(resumeId, waiter, this.#o.ackTimeoutMs, "no acknowledgement");
    });
    const onAbort = () => {
      const waiter = this.#waiting.get(resumeId);
      if (waiter === undefined) return;
      this.#done(resumeId);
      waiter.reject(request.signal.reason);
      void this.#o.bus
        .publish(
          parkChannel(route.replicaId),
          JSON.stringify({ k: "cancel", callId: route.callId, resumeId }),
        )
        .catch(() => undefined);
    };
    request.signal.addEventListener("abort", onAbort, { once: true });
    try {
      await this.#o.bus.publish(parkChannel(route.replicaId), JSON.stringify(message));
    } catch (error) {
      this.#done(resumeId);
      request.signal.removeEventListener("abort", onAbort);
      throw error;
    }
    try {
      return await answered;
    } finally {
      request.signal.removeEventListener("abort", onAbort);
    }
  }

  /** (Re)arms the bound on the holder's next message. */
  #watch(resumeId: string, waiter: Waiter, ms: number, missing: string): void {
    clearTimeout(waiter.timer);
    waiter.timer = setTimeout(() => {
      if (this.#waiting.get(resumeId) !== waiter) return;
      this.#done(resumeId);
      this.#o.log.warn(
        { workloadId: waiter.request.workloadId, holder: waiter.route.replicaId },
        "the replica holding a parked call is gone",
      );
      countParkedLoss("holder_gone");
      this.#o.onHolderLost?.(waiter.route, waiter.request.workloadId, waiter.request.owner);
      waiter.reject(
        new ParkedCallGoneError(
          waiter.request.workloadId,
          `${missing} from the replica holding it within ${ms} ms`,
        ),
      );
    }, ms);
  }

  #done(resumeId: string): void {
    const waiter = this.#waiting.get(resumeId);
    if (waiter !== undefined) clearTimeout(waiter.timer);
    this.#waiting.delete(resumeId);
  }

  #receive(text: string): void {
    const message = readParkMessage(text);
    if (message === undefined) return;
    if (message.k === "resume") {
      this.#serve(message);
      return;
    }
    if (message.k === "cancel") {
      this.#serving.get(message.resumeId)?.abort(new Error("the retry's caller went away"));
      return;
    }
    this.#answer(message);
  }

  /** A holder's message for a retry waiting here. */
  #answer(message: HolderMessage): void {
    const waiter = this.#waiting.get(message.resumeId);
    if (waiter === undefined) return;
    const { request } = waiter;
    const beatBound = this.#o.heartbeatMs * this.#o.missedHeartbeats;
    switch (message.k) {
      case "ack":
      case "beat":
        this.#watch(message.resumeId, waiter, beatBound, "no heartbeat");
        return;
      case "note": {
        this.#watch(message.resumeId, waiter, beatBound, "no heartbeat");
        const n = message.n as unknown as Notification;
        const token = request.progressToken;
        const out =
          n.method === "notifications/progress" && token !== undefined
            ? ({ ...n, params: { ...n.params, progressToken: token } } as Notification)
            : n;
        void request.notify(out).catch(() => undefined);
        return;
      }
      case "gone":
        this.#done(message.resumeId);
        waiter.reject(
          new ParkedCallGoneError(request.workloadId, "it timed out waiting for input, or ended"),
        );
        return;
      case "done":
        this.#done(message.resumeId);
        if ("error" in message) {
          const { code, message: text, data } = message.error;
          waiter.reject(Object.assign(new Error(text), { code, data }));
          return;
        }
        waiter.resolve(
          message.parked === undefined
            ? message.result
            : { ...message.result, [ParkedRouteKey]: message.parked },
        );
        return;
    }
  }

  /** A resume another replica sent for a call held here. */
  #serve(message: ResumeMessage): void {
    const reply = parkChannel(message.replyTo);
    const send = (m: HolderMessage) => this.#o.bus.publish(reply, JSON.stringify(m));
    const call = this.#o.calls.get(message.callId);
    if (call === undefined) {
      void send({ k: "gone", resumeId: message.resumeId }).catch(() => undefined);
      return;
    }
    const controller = new AbortController();
    this.#serving.set(message.resumeId, controller);
    void send({ k: "ack", resumeId: message.resumeId }).catch(() => undefined);
    const beat = setInterval(
      () => void send({ k: "beat", resumeId: message.resumeId }).catch(() => undefined),
      this.#o.heartbeatMs,
    );
    const sink: CallSink = {
      notify: (n) =>
        void send({
          k: "note",
          resumeId: message.resumeId,
          n: n as unknown as Record<string, unknown>,
        }).catch(() => undefined),
      ...(message.progress ? { progressToken: 0 } : {}),
      logs: message.logs,
      signal: controller.signal,
    };
    call
      .resume(message.inputResponses, sink)
      .then(
        (result) => {
          const parked = (result as { [ParkedRouteKey]?: ParkedCallRoute })[ParkedRouteKey];
          return send({
            k: "done",
            resumeId: message.resumeId,
            result,
            ...(parked === undefined ? {} : { parked }),
          });
        },
        (error: unknown) =>
          send({ k: "done", resumeId: message.resumeId, error: rpcErrorOf(error).body }),
      )
      .catch((error: unknown) =>
        // The outcome could not go (over the bus's size bound, the bus down): say so instead.
        send({ k: "done", resumeId: message.resumeId, error: rpcErrorOf(error).body }),
      )
      .catch((error: unknown) =>
        this.#o.log.warn({ err: error }, "a parked call's outcome could not be sent"),
      )
      .finally(() => {
        clearInterval(beat);
        this.#serving.delete(message.resumeId);
      });
  }
}
