import { randomBytes } from "node:crypto";
import type { BackendMessage, BackendMessageOrigin } from "@vmcp/session-core";
import { ifDefined } from "../../../if-defined.js";
import { rpcErrorOf } from "../../../json-rpc/error-mapping.js";
import type { JsonRpcErrorBody } from "../../../json-rpc/json-rpc.js";
import type { BusSubscriptions } from "./bus-subscriptions.js";
import type { GetStreams } from "./get-streams.js";
import type { InFlightRequest, InFlightRequests } from "./in-flight-requests.js";
import {
  AnswerUnclaimedError,
  NoClientStreamError,
  ServerRequestAbandonedError,
  ServerRequestTimeoutError,
  TooManyServerRequestsError,
} from "./relay-errors.js";

/** Default bound on a backend's server-to-client request waiting for the client's answer, ms: 60 s. */
export const DefaultServerRequestTimeoutMs = 60_000;
/** Default bound on a replica claiming a client's answer it does not hold (over the bus), ms: 2 s. */
export const DefaultAnswerAckTimeoutMs = 2_000;
/** Default most server-to-client requests of one session waiting for answers on one replica: 32. */
export const DefaultMaxPendingServerRequests = 32;

/** How a server-to-client request ended: the client's result or error, or a failure of the gateway's. */
type Outcome =
  | { readonly result: unknown }
  | { readonly error: JsonRpcErrorBody }
  | { readonly fail: Error };

interface Waiter {
  readonly id: string;
  readonly settle: (outcome: Outcome) => void;
}

/** Something that carries a message to the client. */
interface Target {
  deliver(message: unknown): boolean;
}

/** Options of {@link ServerRequests}. */
export interface ServerRequestsOptions {
  readonly subscriptions: BusSubscriptions;
  /** Finds the client request a server-to-client request belongs to. */
  readonly inFlight: InFlightRequests;
  /** The GET streams, for a request that belongs to no client request. */
  readonly streams: GetStreams;
  /** Bound on waiting for the client's answer, ms. */
  readonly timeoutMs: number;
  /** Bound on another replica claiming an answer, ms (for the error's message). */
  readonly ackTimeoutMs: number;
  /** Requests of one session waiting at once. */
  readonly maxPending: number;
}

/**
 * The backends' server-to-client requests (sampling, elicitation, roots) waiting for the
 * client's answer: each is sent under a random gateway ID (`vmcp:` + 16 random bytes) on the
 * stream of the request it belongs to, else on the session's GET stream (on any replica, which
 * acknowledges it), and waits, bounded, for the answer the client POSTs to any replica.
 */
export class ServerRequests {
  readonly #subscriptions: BusSubscriptions;
  readonly #inFlight: InFlightRequests;
  readonly #streams: GetStreams;
  readonly #timeoutMs: number;
  readonly #ackTimeoutMs: number;
  readonly #maxPending: number;
  /** Per session: the requests waiting for an answer on this replica, by gateway ID. */
  readonly #waiters = new Map<string, Map<string, Waiter>>();
  /** The requests waiting on behalf of each client request, ended with it. */
  readonly #byOwner = new WeakMap<InFlightRequest, Set<Waiter>>();
  #closed = false;

  constructor(options: ServerRequestsOptions) {
    this.#subscriptions = options.subscriptions;
    this.#inFlight = options.inFlight;
    this.#streams = options.streams;
    this.#timeoutMs = options.timeoutMs;
    this.#ackTimeoutMs = options.ackTimeoutMs;
    this.#maxPending = options.maxPending;
  }

  /**
   * Relays a backend's request to the client and resolves the client's answer, or rejects with
   * a JSON-RPC error (`code`, `message`, `data.code`) for the backend within the timeout.
   */
  async relay(
    origin: BackendMessageOrigin,
    message: BackendMessage,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
    try {
      return await this.#relay(origin, message, signal);
    } catch (error) {
      // The backend gets a JSON-RPC error: the SDK sends `code`, `message` and `data` on.
      const { body } = rpcErrorOf(error);
      throw Object.assign(new Error(body.message), { code: body.code, data: body.data });
    }
  }

  /**
   * A client's answer: handed to its waiter on this replica, or published for the replica that
   * holds it, which must acknowledge within the acknowledgement bound.
   * @throws {AnswerUnclaimedError} when no replica holds a waiter for it.
   * @throws {BusUnavailableError} when the bus cannot carry it.
   */
  async answer(
    sessionId: string,
    message: { id?: unknown; result?: unknown; error?: unknown },
  ): Promise<void> {
    const { id } = message;
    const outcome = outcomeOf(message);
    const local = typeof id === "string" ? this.#waiters.get(sessionId)?.get(id) : undefined;
    if (local !== undefined) {
      local.settle(outcome);
      return;
    }
    if (typeof id !== "string" || !id.startsWith("vmcp:")) {
      throw new AnswerUnclaimedError(id, "the gateway sent no request with this ID");
    }
    const channel = this.#subscriptions.retain(sessionId);
    try {
      const claimed = await this.#subscriptions.publishAcked(sessionId, channel, (ack) => ({
        kind: "answer",
        id,
        ...outcome,
        ack,
      }));
      if (!claimed) {
        throw new AnswerUnclaimedError(
          id,
          `no replica claimed it within ${this.#ackTimeoutMs} ms (its request ended, timed out, or its replica is gone)`,
        );
      }
    } finally {
      this.#subscriptions.release(sessionId);
    }
  }

  /** An `answer` from the bus: settles its waiter when it is here, and acknowledges it. */
  onAnswer(
    sessionId: string,
    envelope: { id: string | number; result?: unknown; error?: unknown; ack: string },
  ): void {
    const waiter = this.#waiters.get(sessionId)?.get(String(envelope.id));
    if (waiter === undefined) return;
    waiter.settle(outcomeOf(envelope));
    void this.#subscriptions
      .publish(sessionId, { kind: "answer-ack", ack: envelope.ack })
      .catch(() => undefined);
  }

  /** The client request `owner` ended: its requests still waiting end with an error. */
  ownerEnded(owner: InFlightRequest): void {
    for (const waiter of this.#byOwner.get(owner) ?? []) {
      waiter.settle({
        fail: new ServerRequestAbandonedError("the client request it belonged to has ended"),
      });
    }
  }

  /** The replica closes: every request still waiting ends with an error, and no new one starts. */
  close(): void {
    this.#closed = true;
    for (const waiters of this.#waiters.values()) {
      for (const waiter of waiters.values()) {
        waiter.settle({ fail: new ServerRequestAbandonedError("the gateway replica is closing") });
      }
    }
    this.#waiters.clear();
  }

  async #relay(
    origin: BackendMessageOrigin,
    message: BackendMessage,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
    if (this.#closed) throw new ServerRequestAbandonedError("the gateway replica is closing");
    const { sessionId } = origin;
    const owner = this.#inFlight.attributed(sessionId);
    const stream = this.#streams.live(sessionId);
    // No request stream and no GET stream here: the GET stream may be open on another replica.
    const local: Target | undefined = owner?.response.streamable === true ? owner.response : stream;
    const channel = this.#subscriptions.retain(sessionId);
    let waiters = this.#waiters.get(sessionId);
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    let waiter: Waiter | undefined;
    try {
      if (waiters !== undefined && waiters.size >= this.#maxPending) {
        throw new TooManyServerRequestsError(this.#maxPending);
      }
      const id = `vmcp:${randomBytes(16).toString("base64url")}`;
      const answered = new Promise<Outcome>((resolve) => {
        waiter = { id, settle: resolve };
      });
      const w = waiter as unknown as Waiter;
      if (waiters === undefined) {
        waiters = new Map();
        this.#waiters.set(sessionId, waiters);
      }
      waiters.set(id, w);
      if (owner !== undefined) this.#ownedBy(owner).add(w);
      // An answer may reach another replica: the subscription must be live before the client sees the request.
      await channel.subscription;
      const request = {
        jsonrpc: "2.0",
        id,
        method: message.method,
        ...ifDefined("params", message.params),
      };
      const sent =
        local !== undefined
          ? local.deliver(request)
          : await this.#subscriptions
              .publishAcked(sessionId, channel, (ack) => ({
                kind: "deliver",
                message: request,
                ack,
              }))
              .catch(() => false);
      if (!sent) throw new NoClientStreamError(message.method);
      timer = setTimeout(
        () => w.settle({ fail: new ServerRequestTimeoutError(message.method, this.#timeoutMs) }),
        this.#timeoutMs,
      );
      onAbort = () => {
        const params = { requestId: id, reason: "the backend cancelled the request" };
        if (local !== undefined)
          local.deliver({ jsonrpc: "2.0", method: "notifications/cancelled", params });
        else this.#streams.notify(sessionId, { method: "notifications/cancelled", params });
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
        waiters?.delete(waiter.id);
        if (waiters?.size === 0 && this.#waiters.get(sessionId) === waiters) {
          this.#waiters.delete(sessionId);
        }
        if (owner !== undefined) this.#byOwner.get(owner)?.delete(waiter);
      }
      this.#subscriptions.release(sessionId);
    }
  }

  #ownedBy(owner: InFlightRequest): Set<Waiter> {
    let set = this.#byOwner.get(owner);
    if (set === undefined) {
      set = new Set();
      this.#byOwner.set(owner, set);
    }
    return set;
  }
}

function outcomeOf(message: { result?: unknown; error?: unknown }): Outcome {
  if (message.error !== undefined) {
    const e = message.error as Partial<JsonRpcErrorBody>;
    return {
      error: {
        code: typeof e.code === "number" ? e.code : -32603,
        message: typeof e.message === "string" ? e.message : "error",
        ...ifDefined("data", e.data),
      },
    };
  }
  return { result: message.result ?? {} };
}
