import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes, randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import {
  type BackendMessage,
  type BackendMessageHandler,
  type BackendMessageOrigin,
  type BusSubscription,
  BusUnavailableError,
  type SessionMessageBus,
} from "@vmcp/session-core";
import { rpcErrorOf } from "../../../json-rpc/error-mapping.js";
import type { JsonRpcErrorBody } from "../../../json-rpc/json-rpc.js";
import type { GatewayLogger } from "../../../logger.js";
import type { PostResponse } from "../../responses/post-response.js";
import type { ServedSession } from "../../routing/session-service.js";
import { type BusEnvelope, parseEnvelope } from "./bus-envelope.js";
import { Cancellations } from "./cancellations.js";
import {
  AnswerUnclaimedError,
  NoClientStreamError,
  ServerRequestAbandonedError,
  ServerRequestTimeoutError,
  StreamConflictError,
  TooManyServerRequestsError,
} from "./relay-errors.js";
import { DefaultHeartbeatMs, isListChanged, StandaloneStream } from "./standalone-stream.js";

/** Default bound on a backend's server-to-client request waiting for the client's answer, ms: 60 s. */
export const DefaultServerRequestTimeoutMs = 60_000;
/** Default bound on a replica claiming a client's answer it does not hold (over the bus), ms: 2 s. */
export const DefaultAnswerAckTimeoutMs = 2_000;
/** Default most server-to-client requests of one session waiting for answers on one replica: 32. */
export const DefaultMaxPendingServerRequests = 32;

/**
 * How long a session's bus subscription outlives its last use, ms: a session with one request
 * after another keeps one subscription instead of subscribing again for each (a round trip to a
 * Redis bus).
 */
export const SubscriptionLingerMs = 5_000;

/**
 * Longest a request waits, before it is dispatched, for its session's bus subscription to be live
 * (ms), so that a cancellation published by another replica right after reaches it; beyond, it
 * goes on without (a slow or unreachable bus does not hold requests up).
 */
export const SubscribeWaitMs = 250;

/** The kind of list a `list_changed` names. */
export type ListKind = "tools" | "prompts" | "resources";

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

/** One client request in flight on this replica. */
export interface InFlightRequest {
  readonly sessionId: string;
  readonly response: PostResponse;
  /** `${typeof token}:${token}` of the client's progress token, when it sent one. */
  readonly tokenKey: string | undefined;
  readonly waiters: Set<Waiter>;
  open: boolean;
}

type Outcome =
  | { readonly result: unknown }
  | { readonly error: JsonRpcErrorBody }
  | { readonly fail: Error };

interface Waiter {
  readonly id: string;
  readonly settle: (outcome: Outcome) => void;
}

interface Entry {
  refs: number;
  readonly inFlight: Set<InFlightRequest>;
  readonly byToken: Map<string, InFlightRequest>;
  readonly waiters: Map<string, Waiter>;
  readonly acks: Map<string, () => void>;
  /** Resolves once the session's bus subscription is live; `undefined` (error kept) when it failed. */
  subscription: Promise<BusSubscription | undefined>;
  /** Whether `subscription` has settled: a request then needs no wait before dispatch. */
  settled: boolean;
  subscribeError?: unknown;
  stream?: StandaloneStream | undefined;
  /** Set while the entry is unused and waits {@link SubscriptionLingerMs} before unsubscribing. */
  linger?: NodeJS.Timeout | undefined;
}

/** Something that carries a message to the client. */
interface Target {
  deliver(message: unknown): boolean;
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
 */
export class SessionRelay implements BackendMessageHandler {
  /** The requests in flight on this replica, for `notifications/cancelled`. */
  readonly cancellations = new Cancellations();
  readonly #o: SessionRelayOptions;
  readonly #timeoutMs: number;
  readonly #ackMs: number;
  readonly #maxPending: number;
  readonly #heartbeatMs: number;
  readonly #scope = new AsyncLocalStorage<InFlightRequest>();
  readonly #entries = new Map<string, Entry>();
  readonly #sessions = new Map<string, WeakRef<ServedSession>>();
  #closed = false;

  constructor(options: SessionRelayOptions) {
    this.#o = options;
    this.#timeoutMs = options.serverRequestTimeoutMs ?? DefaultServerRequestTimeoutMs;
    this.#ackMs = options.answerAckTimeoutMs ?? DefaultAnswerAckTimeoutMs;
    this.#maxPending = options.maxPendingServerRequests ?? DefaultMaxPendingServerRequests;
    this.#heartbeatMs = options.heartbeatMs ?? DefaultHeartbeatMs;
  }

  /** Records a client request in flight (call {@link end} once it is answered). */
  begin(session: ServedSession, params: unknown, response: PostResponse): InFlightRequest {
    this.#remember(session);
    const entry = this.#retain(session.id);
    const token = progressTokenOf(params);
    const request: InFlightRequest = {
      sessionId: session.id,
      response,
      tokenKey: token === undefined ? undefined : `${typeof token}:${String(token)}`,
      waiters: new Set(),
      open: true,
    };
    entry.inFlight.add(request);
    if (request.tokenKey !== undefined) entry.byToken.set(request.tokenKey, request);
    return request;
  }

  /**
   * Resolves once the session's bus subscription is live, or after {@link SubscribeWaitMs}: await
   * it before dispatching `request`, so another replica's cancellation finds it. Never rejects.
   */
  async ready(request: InFlightRequest): Promise<void> {
    const entry = this.#entries.get(request.sessionId);
    // The usual case on a busy session: the subscription is live, no timer and no race needed.
    if (entry === undefined || entry.settled) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      entry.subscription,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, SubscribeWaitMs);
      }),
    ]);
    clearTimeout(timer);
  }

  /** Runs `work` as `request`: what backends send in its context goes to its response. */
  run<T>(request: InFlightRequest, work: () => Promise<T>): Promise<T> {
    return this.#scope.run(request, work);
  }

  /** The request is answered: its server-to-client requests still waiting end with an error. */
  end(request: InFlightRequest): void {
    if (!request.open) return;
    request.open = false;
    const entry = this.#entries.get(request.sessionId);
    if (entry !== undefined) {
      entry.inFlight.delete(request);
      if (request.tokenKey !== undefined && entry.byToken.get(request.tokenKey) === request) {
        entry.byToken.delete(request.tokenKey);
      }
    }
    for (const waiter of request.waiters) {
      waiter.settle({
        fail: new ServerRequestAbandonedError("the client request it belonged to has ended"),
      });
    }
    this.#release(request.sessionId);
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
      const key = `${typeof token}:${String(token)}`;
      this.#entries.get(origin.sessionId)?.byToken.get(key)?.response.deliver(note);
      return;
    }
    if (isListChanged(message.method)) {
      this.#listChanged(origin.sessionId, message.method);
      this.#notifyStream(origin.sessionId, message);
      return;
    }
    if (message.method !== "notifications/resources/updated") {
      const owner = this.#attributed(origin.sessionId);
      if (owner?.response.deliver(note) === true) return;
    }
    this.#notifyStream(origin.sessionId, message);
  }

  /**
   * A backend's server-to-client request: relayed under a gateway ID to the stream of the request
   * it belongs to (else a GET stream, on any replica); resolves the client's answer, or rejects
   * with a JSON-RPC error (`code`, `message`, `data.code`) for the backend within
   * `serverRequestTimeoutMs`.
   */
  async request(
    origin: BackendMessageOrigin,
    message: BackendMessage,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
    try {
      return await this.#serverRequest(origin, message, signal);
    } catch (error) {
      // The backend gets a JSON-RPC error: the SDK sends `code`, `message` and `data` on.
      const { body } = rpcErrorOf(error);
      throw Object.assign(new Error(body.message), { code: body.code, data: body.data });
    }
  }

  /**
   * A client's answer (a JSON-RPC response it POSTed) to a server-to-client request: handed to
   * the waiter on this replica, or published for the replica that holds it, which must
   * acknowledge within `answerAckTimeoutMs`.
   * @throws {AnswerUnclaimedError} when no replica holds a waiter for it.
   * @throws {BusUnavailableError} when the bus cannot carry it.
   */
  async answer(
    sessionId: string,
    message: { id?: unknown; result?: unknown; error?: unknown },
  ): Promise<void> {
    const { id } = message;
    const outcome = outcomeOf(message);
    const local =
      typeof id === "string" ? this.#entries.get(sessionId)?.waiters.get(id) : undefined;
    if (local !== undefined) {
      local.settle(outcome);
      return;
    }
    if (typeof id !== "string" || !id.startsWith("vmcp:")) {
      throw new AnswerUnclaimedError(id, "the gateway sent no request with this ID");
    }
    const entry = this.#retain(sessionId);
    try {
      const claimed = await this.#publishAcked(sessionId, entry, (ack) => ({
        kind: "answer",
        id,
        ...outcome,
        ack,
      }));
      if (!claimed) {
        throw new AnswerUnclaimedError(
          id,
          `no replica claimed it within ${this.#ackMs} ms (its request ended, timed out, or its replica is gone)`,
        );
      }
    } finally {
      this.#release(sessionId);
    }
  }

  /**
   * Publishes the envelope `make(ack)` and waits up to `answerAckTimeoutMs` for an `answer-ack`
   * with that nonce: `true` when one came. `entry` must be retained by the caller.
   * @throws {BusUnavailableError} when the bus cannot carry it.
   */
  async #publishAcked(
    sessionId: string,
    entry: Entry,
    make: (ack: string) => BusEnvelope,
  ): Promise<boolean> {
    const ack = randomUUID();
    let timer: NodeJS.Timeout | undefined;
    try {
      if ((await entry.subscription) === undefined) {
        throw entry.subscribeError ?? new BusUnavailableError("the subscription failed");
      }
      const acked = new Promise<boolean>((resolve) => {
        entry.acks.set(ack, () => resolve(true));
        timer = setTimeout(() => resolve(false), this.#ackMs);
      });
      await this.#publish(sessionId, make(ack));
      return await acked;
    } finally {
      clearTimeout(timer);
      entry.acks.delete(ack);
    }
  }

  /**
   * A client's `notifications/cancelled`: aborts the request here when this replica holds it,
   * otherwise publishes it for the replica that does. Never throws (a bus failure is logged).
   */
  async cancel(sessionId: string, requestId: unknown, reason: unknown): Promise<void> {
    if (this.cancellations.cancel(sessionId, requestId, reason)) return;
    if (typeof requestId !== "string" && typeof requestId !== "number") return;
    await this.#publish(sessionId, {
      kind: "cancel",
      requestId,
      ...(typeof reason === "string" ? { reason } : {}),
    }).catch((error: unknown) =>
      this.#o.log.warn({ sessionId, err: error }, "could not publish a cancellation"),
    );
  }

  /**
   * Opens the session's `GET /mcp` stream on `res`. A newer stream on another replica ends this
   * one (and this one ends an older one there). `keepAlive` runs at each heartbeat: it should
   * use the session (so it is neither evicted as idle nor let expire while its client listens)
   * and resolve `false` when the session is gone, which ends the stream.
   * @throws {StreamConflictError} when this replica already holds a live stream for the session.
   */
  async openStream(
    session: ServedSession,
    res: ServerResponse,
    headers: Readonly<Record<string, string>>,
    keepAlive?: () => Promise<boolean>,
  ): Promise<void> {
    this.#remember(session);
    const existing = this.#entries.get(session.id)?.stream;
    if (existing?.live === true) throw new StreamConflictError(session.id);
    const entry = this.#retain(session.id);
    let released = false;
    const stream = new StandaloneStream(res, {
      headers,
      heartbeatMs: this.#heartbeatMs,
      ...(this.#o.maxStreamBufferBytes === undefined
        ? {}
        : { maxBufferedBytes: this.#o.maxStreamBufferBytes }),
      ...(keepAlive === undefined
        ? {}
        : {
            onHeartbeat: () => {
              keepAlive().then(
                (alive) => {
                  if (!alive) stream.end();
                },
                () => undefined, // a store outage is not the session's end
              );
            },
          }),
      onEnd: () => {
        if (entry.stream === stream) entry.stream = undefined;
        if (!released) {
          released = true;
          this.#release(session.id);
        }
      },
    });
    entry.stream = stream;
    await entry.subscription;
    await this.#publish(session.id, { kind: "stream-open", holder: stream.holder }).catch(
      (error: unknown) =>
        this.#o.log.warn({ sessionId: session.id, err: error }, "could not announce a GET stream"),
    );
  }

  /** The session was deleted: its GET streams end, here and on every replica. */
  async terminated(sessionId: string): Promise<void> {
    this.#entries.get(sessionId)?.stream?.end();
    this.#sessions.delete(sessionId);
    await this.#publish(sessionId, { kind: "terminated" }).catch(() => undefined);
  }

  /** The `GET /mcp` streams open on this replica. */
  openStreams(): number {
    let count = 0;
    for (const entry of this.#entries.values()) if (entry.stream?.live === true) count++;
    return count;
  }

  /** Ends every GET stream on this replica (a shutdown starts with this, so they do not hold it up). */
  endStreams(): void {
    for (const entry of this.#entries.values()) entry.stream?.end();
  }

  /** Ends everything: GET streams, waiting server-to-client requests, bus subscriptions. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const subscriptions: Promise<BusSubscription | undefined>[] = [];
    for (const entry of this.#entries.values()) {
      entry.stream?.end();
      for (const waiter of entry.waiters.values()) {
        waiter.settle({ fail: new ServerRequestAbandonedError("the gateway replica is closing") });
      }
      subscriptions.push(entry.subscription);
    }
    for (const entry of this.#entries.values()) clearTimeout(entry.linger);
    this.#entries.clear();
    await Promise.all(subscriptions.map(async (s) => (await s)?.unsubscribe()));
  }

  async #serverRequest(
    origin: BackendMessageOrigin,
    message: BackendMessage,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
    if (this.#closed) throw new ServerRequestAbandonedError("the gateway replica is closing");
    const owner = this.#attributed(origin.sessionId);
    const stream = this.#entries.get(origin.sessionId)?.stream;
    // No request stream and no GET stream here: the GET stream may be open on another replica.
    const local: Target | undefined =
      owner?.response.streamable === true
        ? owner.response
        : stream?.live === true
          ? stream
          : undefined;
    const entry = this.#retain(origin.sessionId);
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    let waiter: Waiter | undefined;
    try {
      if (entry.waiters.size >= this.#maxPending) {
        throw new TooManyServerRequestsError(this.#maxPending);
      }
      const id = `vmcp:${randomBytes(16).toString("base64url")}`;
      const answered = new Promise<Outcome>((resolve) => {
        waiter = { id, settle: resolve };
      });
      const w = waiter as unknown as Waiter;
      entry.waiters.set(id, w);
      owner?.waiters.add(w);
      // An answer may reach another replica: the subscription must be live before the client sees the request.
      await entry.subscription;
      const request = {
        jsonrpc: "2.0",
        id,
        method: message.method,
        ...(message.params === undefined ? {} : { params: message.params }),
      };
      const sent =
        local !== undefined
          ? local.deliver(request)
          : await this.#publishAcked(origin.sessionId, entry, (ack) => ({
              kind: "deliver",
              message: request,
              ack,
            })).catch(() => false);
      if (!sent) throw new NoClientStreamError(message.method);
      timer = setTimeout(
        () => w.settle({ fail: new ServerRequestTimeoutError(message.method, this.#timeoutMs) }),
        this.#timeoutMs,
      );
      onAbort = () => {
        const params = { requestId: id, reason: "the backend cancelled the request" };
        if (local !== undefined)
          local.deliver({ jsonrpc: "2.0", method: "notifications/cancelled", params });
        else this.#notifyStream(origin.sessionId, { method: "notifications/cancelled", params });
        w.settle({ fail: new ServerRequestAbandonedError("the backend cancelled the request") });
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
      const outcome = await answered;
      if ("fail" in outcome) throw outcome.fail;
      if ("error" in outcome) {
        throw Object.assign(new Error(outcome.error.message), {
          code: outcome.error.code,
          data: outcome.error.data,
        });
      }
      return (outcome.result ?? {}) as Record<string, unknown>;
    } finally {
      clearTimeout(timer);
      if (onAbort !== undefined) signal.removeEventListener("abort", onAbort);
      if (waiter !== undefined) {
        entry.waiters.delete(waiter.id);
        owner?.waiters.delete(waiter);
      }
      this.#release(origin.sessionId);
    }
  }

  /** Drops this replica's route tables of the kind a `list_changed` names (every subscribed replica does). */
  #listChanged(sessionId: string, method: string): void {
    const session = this.#sessions.get(sessionId)?.deref();
    const kind = method.split("/")[1] as ListKind;
    if (session !== undefined) this.#o.onListChanged?.(session, kind);
  }

  /** The open request of `sessionId` whose context this runs in, if any. */
  #attributed(sessionId: string): InFlightRequest | undefined {
    const request = this.#scope.getStore();
    return request?.open === true && request.sessionId === sessionId ? request : undefined;
  }

  #notifyStream(sessionId: string, message: BackendMessage): void {
    void this.#publish(sessionId, {
      kind: "notify",
      message: message.params === undefined ? { method: message.method } : message,
    }).catch((error: unknown) =>
      this.#o.log.warn({ sessionId, err: error }, "could not publish a notification"),
    );
  }

  #publish(sessionId: string, envelope: BusEnvelope): Promise<void> {
    return this.#o.bus.publish(sessionId, JSON.stringify(envelope));
  }

  #onBus(sessionId: string, entry: Entry, text: string): void {
    if (this.#entries.get(sessionId) !== entry) return;
    const envelope = parseEnvelope(text);
    if (envelope === undefined) return;
    switch (envelope.kind) {
      case "answer": {
        const waiter = entry.waiters.get(String(envelope.id));
        if (waiter === undefined) return;
        waiter.settle(outcomeOf(envelope));
        void this.#publish(sessionId, { kind: "answer-ack", ack: envelope.ack }).catch(
          () => undefined,
        );
        return;
      }
      case "answer-ack":
        entry.acks.get(envelope.ack)?.();
        return;
      case "cancel":
        this.cancellations.cancel(sessionId, envelope.requestId, envelope.reason);
        return;
      case "notify":
        if (isListChanged(envelope.message.method))
          this.#listChanged(sessionId, envelope.message.method);
        entry.stream?.notify(envelope.message);
        return;
      case "deliver":
        if (entry.stream?.deliver(envelope.message) === true) {
          void this.#publish(sessionId, { kind: "answer-ack", ack: envelope.ack }).catch(
            () => undefined,
          );
        }
        return;
      case "stream-open":
        if (entry.stream !== undefined && entry.stream.holder !== envelope.holder) {
          entry.stream.end();
        }
        return;
      case "terminated":
        entry.stream?.end();
        return;
    }
  }

  #retain(sessionId: string): Entry {
    let entry = this.#entries.get(sessionId);
    if (entry === undefined) {
      const created: Entry = {
        refs: 0,
        inFlight: new Set(),
        byToken: new Map(),
        waiters: new Map(),
        acks: new Map(),
        subscription: Promise.resolve(undefined),
        settled: false,
      };
      created.subscription = this.#subscribe(sessionId, created);
      this.#entries.set(sessionId, created);
      entry = created;
    } else if (entry.subscribeError !== undefined) {
      // The last try failed (the bus was down): try again rather than keep failing.
      entry.subscribeError = undefined;
      entry.subscription = this.#subscribe(sessionId, entry);
    }
    clearTimeout(entry.linger);
    entry.linger = undefined;
    entry.refs++;
    return entry;
  }

  #subscribe(sessionId: string, entry: Entry): Promise<BusSubscription | undefined> {
    entry.settled = false;
    return this.#o.bus
      .subscribe(sessionId, (text) => this.#onBus(sessionId, entry, text))
      .catch((error: unknown) => {
        entry.subscribeError = error;
        this.#o.log.warn({ sessionId, err: error }, "could not subscribe to the message bus");
        return undefined;
      })
      .finally(() => {
        entry.settled = true;
      });
  }

  #release(sessionId: string): void {
    const entry = this.#entries.get(sessionId);
    if (entry === undefined) return;
    entry.refs--;
    if (entry.refs > 0) return;
    clearTimeout(entry.linger);
    entry.linger = setTimeout(() => {
      if (this.#entries.get(sessionId) !== entry || entry.refs > 0) return;
      this.#entries.delete(sessionId);
      void entry.subscription.then((s) => s?.unsubscribe());
    }, SubscriptionLingerMs);
    entry.linger.unref();
  }

  #remember(session: ServedSession): void {
    if (this.#sessions.get(session.id)?.deref() === session) return;
    this.#sessions.set(session.id, new WeakRef(session));
    if (this.#sessions.size % 1024 === 0) {
      for (const [id, ref] of this.#sessions)
        if (ref.deref() === undefined) this.#sessions.delete(id);
    }
  }
}

function progressTokenOf(params: unknown): string | number | undefined {
  if (typeof params !== "object" || params === null) return undefined;
  const meta = (params as { _meta?: unknown })._meta;
  if (typeof meta !== "object" || meta === null) return undefined;
  const token = (meta as { progressToken?: unknown }).progressToken;
  return typeof token === "string" || typeof token === "number" ? token : undefined;
}

function outcomeOf(message: { result?: unknown; error?: unknown }): Outcome {
  if (message.error !== undefined) {
    const e = message.error as Partial<JsonRpcErrorBody>;
    return {
      error: {
        code: typeof e.code === "number" ? e.code : -32603,
        message: typeof e.message === "string" ? e.message : "error",
        ...(e.data === undefined ? {} : { data: e.data }),
      },
    };
  }
  return { result: message.result ?? {} };
}
