import type { ServerResponse } from "node:http";
import type {
  BackendMessage,
  BackendMessageHandler,
  BackendMessageOrigin,
  SessionMessageBus,
} from "@vmcp/session-core";
import type { GatewayLogger } from "../../../logger.js";
import type { PostResponse } from "../../responses/post-response.js";
import type { ServedSession } from "../../routing/session-service.js";
import type { BusEnvelope } from "./bus-envelope.js";
import { BusSubscriptions, type SessionChannel } from "./bus-subscriptions.js";
import { Cancellations } from "./cancellations.js";
import { GetStreams } from "./get-streams.js";
import { type InFlightRequest, InFlightRequests } from "./in-flight-requests.js";
import { type ListKind, ServedSessions } from "./served-sessions.js";
import {
  DefaultAnswerAckTimeoutMs,
  DefaultMaxPendingServerRequests,
  DefaultServerRequestTimeoutMs,
  ServerRequests,
} from "./server-requests.js";
import { DefaultHeartbeatMs, isListChanged } from "./standalone-stream.js";

/** Options of {@link SessionRelay}. */
export interface SessionRelayOptions {
  /** Carries answers, cancellations and GET-stream notifications between replicas. */
  readonly bus: SessionMessageBus;
  readonly log: GatewayLogger;
  /** Bound on a server-to-client request waiting for its answer, ms. Default {@link DefaultServerRequestTimeoutMs}. */
  readonly serverRequestTimeoutMs?: number;
  /** Bound on another replica claiming an answer, ms. Default {@link DefaultAnswerAckTimeoutMs}. */
  readonly answerAckTimeoutMs?: number;
  /** Server-to-client requests of one session waiting at once. Default {@link DefaultMaxPendingServerRequests}. */
  readonly maxPendingServerRequests?: number;
  /** Heartbeat period of GET streams, ms. Default {@link DefaultHeartbeatMs}. */
  readonly heartbeatMs?: number;
  /** Socket buffer bound of every SSE stream, bytes. Default 1 MiB. */
  readonly maxStreamBufferBytes?: number;
  /** Refreshes the aggregated lists of `kind` before a `list_changed` is relayed. */
  readonly onListChanged?: (session: ServedSession, kind: ListKind) => void;
}

/**
 * Relays what backends send on their own to the client, on this replica and across replicas
 * (the {@link BackendMessageHandler} the connector is given):
 * - a request-scoped message (progress by the client's token; a log message or a
 *   server-to-client request by the request whose asynchronous context it arrives in) goes on that
 *   request's POST response, which then streams;
 * - a server-to-client request gets a random gateway ID (`vmcp:` + 16 random bytes) and waits,
 *   bounded, for the client's answer, which may be POSTed to any replica (over the bus, with an
 *   acknowledgement);
 * - unsolicited notifications (`list_changed`, resource updates, log messages of no request) go
 *   to the session's `GET /mcp` stream, wherever it is open (over the bus).
 * It also routes the client's cancellations: local first, otherwise over the bus.
 *
 * This class only dispatches: each message, from a backend, from the client or from the bus, goes
 * to the part that holds its state: the requests in flight ({@link InFlightRequests}), the
 * session's bus subscription ({@link BusSubscriptions}), the server-to-client requests waiting
 * for answers ({@link ServerRequests}) and the GET streams ({@link GetStreams}).
 */
export class SessionRelay implements BackendMessageHandler {
  /** The requests in flight on this replica, for `notifications/cancelled`. */
  readonly cancellations = new Cancellations();
  readonly #log: GatewayLogger;
  readonly #inFlight = new InFlightRequests();
  readonly #subscriptions: BusSubscriptions;
  readonly #streams: GetStreams;
  readonly #serverRequests: ServerRequests;
  readonly #served: ServedSessions;
  #closed = false;

  constructor(options: SessionRelayOptions) {
    this.#log = options.log;
    this.#served = new ServedSessions(options.onListChanged);
    this.#subscriptions = new BusSubscriptions({
      bus: options.bus,
      log: options.log,
      ackTimeoutMs: options.answerAckTimeoutMs ?? DefaultAnswerAckTimeoutMs,
      onEnvelope: (sessionId, channel, envelope) => this.#fromBus(sessionId, channel, envelope),
    });
    this.#streams = new GetStreams({
      subscriptions: this.#subscriptions,
      log: options.log,
      heartbeatMs: options.heartbeatMs ?? DefaultHeartbeatMs,
      maxStreamBufferBytes: options.maxStreamBufferBytes,
    });
    this.#serverRequests = new ServerRequests({
      subscriptions: this.#subscriptions,
      inFlight: this.#inFlight,
      streams: this.#streams,
      timeoutMs: options.serverRequestTimeoutMs ?? DefaultServerRequestTimeoutMs,
      ackTimeoutMs: options.answerAckTimeoutMs ?? DefaultAnswerAckTimeoutMs,
      maxPending: options.maxPendingServerRequests ?? DefaultMaxPendingServerRequests,
    });
  }

  /** Records a client request in flight (call {@link end} once it is answered). */
  begin(session: ServedSession, params: unknown, response: PostResponse): InFlightRequest {
    this.#served.remember(session);
    this.#subscriptions.retain(session.id);
    return this.#inFlight.begin(session.id, params, response);
  }

  /**
   * Resolves once the session's bus subscription is live, or after a short bound: await it
   * before dispatching `request`, so another replica's cancellation finds it. Never rejects.
   */
  ready(request: InFlightRequest): Promise<void> {
    return this.#subscriptions.ready(request.sessionId);
  }

  /** Runs `work` as `request`: what backends send in its context goes to its response. */
  run<T>(request: InFlightRequest, work: () => Promise<T>): Promise<T> {
    return this.#inFlight.run(request, work);
  }

  /** The request is answered: its server-to-client requests still waiting end with an error. */
  end(request: InFlightRequest): void {
    if (!this.#inFlight.end(request)) return;
    this.#serverRequests.ownerEnded(request);
    this.#subscriptions.release(request.sessionId);
  }

  /**
   * A backend notification: progress to the request that sent its token, `list_changed` and
   * resource updates to the GET stream (after dropping route tables), anything else to the
   * request it belongs to or else the GET stream. Never throws.
   */
  notification(origin: BackendMessageOrigin, message: BackendMessage): void {
    if (this.#closed) return;
    const note = { jsonrpc: "2.0", ...message };
    if (message.method === "notifications/progress") {
      const token = message.params?.progressToken;
      this.#inFlight.byProgressToken(origin.sessionId, token)?.response.deliver(note);
      return;
    }
    if (isListChanged(message.method)) {
      this.#served.listChanged(origin.sessionId, message.method);
      this.#streams.notify(origin.sessionId, message);
      return;
    }
    if (message.method !== "notifications/resources/updated") {
      const owner = this.#inFlight.attributed(origin.sessionId);
      if (owner?.response.deliver(note) === true) return;
    }
    this.#streams.notify(origin.sessionId, message);
  }

  /**
   * A backend's server-to-client request: relayed under a gateway ID to the stream of the request
   * it belongs to (else a GET stream, on any replica); resolves the client's answer, or rejects
   * with a JSON-RPC error (`code`, `message`, `data.code`) for the backend within
   * `serverRequestTimeoutMs`.
   */
  request(
    origin: BackendMessageOrigin,
    message: BackendMessage,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
    return this.#serverRequests.relay(origin, message, signal);
  }

  /**
   * A client's answer (a JSON-RPC response it POSTed) to a server-to-client request: handed to
   * the waiter on this replica, or published for the replica that holds it, which must
   * acknowledge within `answerAckTimeoutMs`.
   * @throws {AnswerUnclaimedError} when no replica holds a waiter for it.
   * @throws {BusUnavailableError} when the bus cannot carry it.
   */
  answer(
    sessionId: string,
    message: { id?: unknown; result?: unknown; error?: unknown },
  ): Promise<void> {
    return this.#serverRequests.answer(sessionId, message);
  }

  /**
   * A client's `notifications/cancelled`: aborts the request here when this replica holds it,
   * otherwise publishes it for the replica that does. Never throws (a bus failure is logged).
   */
  async cancel(sessionId: string, requestId: unknown, reason: unknown): Promise<void> {
    if (this.cancellations.cancel(sessionId, requestId, reason)) return;
    if (typeof requestId !== "string" && typeof requestId !== "number") return;
    await this.#subscriptions
      .publish(sessionId, {
        kind: "cancel",
        requestId,
        ...(typeof reason === "string" ? { reason } : {}),
      })
      .catch((error: unknown) =>
        this.#log.warn({ sessionId, err: error }, "could not publish a cancellation"),
      );
  }

  /**
   * Opens the session's `GET /mcp` stream on `res`. A newer stream on another replica ends this
   * one (and this one ends an older one there). `keepAlive` runs at each heartbeat: it should
   * use the session (so it is neither evicted as idle nor let expire while its client listens)
   * and resolve `false` when the session is gone, which ends the stream.
   * @throws {StreamConflictError} when this replica already holds a live stream for the session.
   */
  openStream(
    session: ServedSession,
    res: ServerResponse,
    headers: Readonly<Record<string, string>>,
    keepAlive?: () => Promise<boolean>,
  ): Promise<void> {
    this.#served.remember(session);
    return this.#streams.open(session.id, res, headers, keepAlive);
  }

  /** The session was deleted: its GET streams end, here and on every replica. */
  terminated(sessionId: string): Promise<void> {
    this.#served.forget(sessionId);
    return this.#streams.terminated(sessionId);
  }

  /** The `GET /mcp` streams open on this replica. */
  openStreams(): number {
    return this.#streams.count();
  }

  /** Ends every GET stream on this replica (a shutdown starts with this, so they do not hold it up). */
  endStreams(): void {
    this.#streams.endAll();
  }

  /** Ends everything: GET streams, waiting server-to-client requests, bus subscriptions. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#streams.endAll();
    this.#serverRequests.close();
    await this.#subscriptions.close();
  }

  /** One envelope of a session's current bus subscription, to the part it is for. */
  #fromBus(sessionId: string, channel: SessionChannel, envelope: BusEnvelope): void {
    switch (envelope.kind) {
      case "answer":
        this.#serverRequests.onAnswer(sessionId, envelope);
        return;
      case "answer-ack":
        this.#subscriptions.acknowledge(channel, envelope.ack);
        return;
      case "cancel":
        this.cancellations.cancel(sessionId, envelope.requestId, envelope.reason);
        return;
      case "notify":
        if (isListChanged(envelope.message.method)) {
          this.#served.listChanged(sessionId, envelope.message.method);
        }
        this.#streams.onNotify(sessionId, envelope.message);
        return;
      case "deliver":
        this.#streams.onDeliver(sessionId, envelope.message, envelope.ack);
        return;
      case "stream-open":
        this.#streams.onStreamOpen(sessionId, envelope.holder);
        return;
      case "terminated":
        this.#streams.onTerminated(sessionId);
        return;
    }
  }
}
