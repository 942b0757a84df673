import type { ClientCapabilities, Notification } from "@modelcontextprotocol/server";
import { type BackendMessage, BackendUnavailableError } from "@vmcp/session-core";
import { countParkedLoss } from "../../../telemetry/parked-instruments.js";
import { ParkedRouteKey } from "../backends/pooled-channel.js";
import { assertInputRequestsCovered } from "../relay/input-coverage.js";
import type { ParkedCallRoute } from "../request-state/request-state-port.js";
import type { CallSink } from "./call-sink.js";
import { embeddedInputParams } from "./embedded-params.js";
import { InputNotDeclaredError, ParkedCallGoneError } from "./parked-errors.js";

type Result = Record<string, unknown>;

/** What a parkable call needs of the replica's table of parked calls (`ParkedCalls`). */
export interface ParkingLot {
  /** This replica's ID (the parked route names it). */
  readonly replicaId: string;
  /** Takes a place for `call`: its call ID, or `undefined` when the table is full (then throws). */
  claim(call: ParkableCall): string;
  /** Gives the place back (idempotent). */
  release(callId: string): void;
  /** Counts notifications dropped while a call was parked. */
  dropped(count: number): void;
}

/** Bounds of one parkable call, ms; every one positive. */
export interface ParkableCallTimes {
  /** Bound on a turn while the backend works (reset by its progress), ms. */
  readonly callTimeoutMs: number;
  /** Longest wait, parked, for the client's retry, ms; then the backend call is cancelled. */
  readonly parkTimeoutMs: number;
  /** How long the backend requests that arrive together are gathered into one round, ms. */
  readonly batchMs: number;
  /** Notifications kept while parked (delivered on the retry's stream); more are dropped. */
  readonly maxBufferedNotifications: number;
}

/** Options of {@link ParkableCall}. */
export interface ParkableCallOptions extends ParkableCallTimes {
  /** The backend the call went to. */
  readonly workloadId: string;
  /** What the caller's envelope declared: a backend request it cannot answer is refused. */
  readonly capabilities: ClientCapabilities | undefined;
  readonly lot: ParkingLot;
  /** Called once when the call is over (answered, cancelled, timed out): the lease is let go. */
  readonly onEnd?: () => void;
  /**
   * Called each time the call parks (with its call ID): its record is written or kept. The round
   * reaches the client once the promise it returns settles (it must not reject), so a replica
   * that finds this one gone can find the record.
   */
  readonly onParked?: (callId: string) => Promise<void> | void;
}

interface PendingInput {
  readonly method: string;
  readonly params: Record<string, unknown>;
  readonly resolve: (result: Result) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome =
  | { readonly ok: true; readonly value: Result }
  | { readonly ok: false; readonly error: unknown };

/** The short name of each input kind, for the keys of `inputRequests`. */
const KindOf: Readonly<Record<string, string>> = {
  "sampling/createMessage": "sampling",
  "elicitation/create": "elicitation",
  "roots/list": "roots",
};

/**
 * One call of a 2026-07-28 client to a 2025-era backend that may need the client's input on the
 * way (MCP 2026-07-28 multi-round-trip requests over a 2025 backend session). The backend request
 * runs once, on this replica; the client sees it in turns:
 * - a turn is the first request, or a retry (on any replica: the retry's answers reach here);
 * - while a turn waits, the backend's progress and logs go to that turn's {@link CallSink}, and
 *   its `callTimeoutMs` runs (reset by progress); the caller going away cancels the backend call;
 * - a backend request (`sampling/createMessage`, `elicitation/create`, `roots/list`) the caller
 *   declared a capability for is held, and after `batchMs` every request held then ends the turn
 *   as `input_required` with them as `inputRequests` (keys `<kind>-<n>`), and the call parks (it
 *   takes a place in the replica's table at its first such request; a full table refuses it);
 * - while parked, up to `maxBufferedNotifications` notifications are kept for the next turn, more
 *   are dropped and counted; after `parkTimeoutMs` without a retry the backend call is cancelled
 *   (the SDK sends `notifications/cancelled`) and the call is gone (counted in
 *   `vmcp.calls.parked.lost` as `park_timeout`);
 * - a retry's `inputResponses` answer the held requests by key (unknown keys are ignored); those
 *   left unanswered, with any that came meanwhile, make the next round;
 * - the backend's result or error ends the call (delivered to the turn waiting, or kept for the
 *   next one while parked).
 */
export class ParkableCall {
  readonly #o: ParkableCallOptions;
  readonly #controller = new AbortController();
  readonly #pending = new Map<string, PendingInput>();
  #next = 0;
  #callId: string | undefined;
  #sink: CallSink | undefined;
  #unlink: (() => void) | undefined;
  #turn: { resolve: (r: Result) => void; reject: (e: unknown) => void } | undefined;
  #outcome: Outcome | undefined;
  #buffer: Notification[] = [];
  #droppedHere = 0;
  #callTimer: ReturnType<typeof setTimeout> | undefined;
  #parkTimer: ReturnType<typeof setTimeout> | undefined;
  #batchTimer: ReturnType<typeof setTimeout> | undefined;
  #over = false;
  #released = false;

  constructor(options: ParkableCallOptions) {
    this.#o = options;
  }

  /** Aborts when the backend call must stop (cancelled, timed out): pass it to the request. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The call's ID in the replica's table, once it took a place. */
  get callId(): string | undefined {
    return this.#callId;
  }

  /** Whether the call waits for a retry now. */
  get parked(): boolean {
    return !this.#over && this.#turn === undefined && this.#callId !== undefined;
  }

  /**
   * The first turn: starts the backend request (`send`, given {@link signal}) and resolves its
   * result, or `input_required` when the backend asks for input first.
   */
  start(send: (signal: AbortSignal) => Promise<Result>, sink: CallSink): Promise<Result> {
    send(this.#controller.signal).then(
      (value) => this.#settle({ ok: true, value }),
      (error: unknown) => this.#settle({ ok: false, error }),
    );
    return this.#begin(sink);
  }

  /**
   * A retry's turn: answers the held backend requests with `inputResponses` (by key) and resolves
   * what comes next, as {@link start} does.
   * @throws {ParkedCallGoneError} when the call is over, or a turn already waits on it.
   */
  resume(inputResponses: Readonly<Record<string, unknown>>, sink: CallSink): Promise<Result> {
    if (this.#over && this.#outcome === undefined) {
      return Promise.reject(new ParkedCallGoneError(this.#o.workloadId, "it ended"));
    }
    if (this.#turn !== undefined) {
      return Promise.reject(new ParkedCallGoneError(this.#o.workloadId, "a retry is on it"));
    }
    for (const [key, answer] of Object.entries(inputResponses)) {
      const pending = this.#pending.get(key);
      if (pending === undefined) continue;
      this.#pending.delete(key);
      pending.resolve((answer ?? {}) as Result);
    }
    return this.#begin(sink);
  }

  /**
   * A backend's server-to-client request during this call: held for the client's next round.
   * @throws {InputNotDeclaredError} when the caller declared no capability for it.
   * @throws {TooManyParkedCallsError} when the replica's table is full.
   */
  input(message: BackendMessage, signal: AbortSignal): Promise<Result> {
    if (this.#over) return Promise.reject(new ParkedCallGoneError(this.#o.workloadId, "it ended"));
    const kind = KindOf[message.method];
    if (kind === undefined) {
      return Promise.reject(
        new InputNotDeclaredError(message.method, "2026-07-28 carries no such input request"),
      );
    }
    const params = embeddedInputParams(message.params ?? {});
    try {
      assertInputRequestsCovered({ r: { method: message.method, params } }, this.#o.capabilities);
    } catch {
      return Promise.reject(
        new InputNotDeclaredError(message.method, "its envelope declared no such capability"),
      );
    }
    try {
      this.#callId ??= this.#o.lot.claim(this);
    } catch (error) {
      return Promise.reject(error);
    }
    const key = `${kind}-${++this.#next}`;
    return new Promise<Result>((resolve, reject) => {
      const onAbort = () => {
        if (this.#pending.delete(key)) reject(signal.reason);
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      this.#pending.set(key, {
        method: message.method,
        params,
        resolve: (r) => {
          signal.removeEventListener("abort", onAbort);
          resolve(r);
        },
        reject: (e) => {
          signal.removeEventListener("abort", onAbort);
          reject(e);
        },
      });
      this.#gather();
    });
  }

  /**
   * A backend notification of this call, its progress token already the first turn's: goes to the
   * turn waiting (progress under its token, logs only when it set a level), or is kept while
   * parked. Progress starts the turn's timeout again.
   */
  notify(notification: Notification): void {
    if (this.#over) return;
    const sink = this.#sink;
    if (sink === undefined) {
      if (this.#buffer.length < this.#o.maxBufferedNotifications) this.#buffer.push(notification);
      else this.#droppedHere++;
      return;
    }
    if (notification.method === "notifications/progress") this.#armCall();
    deliver(sink, notification);
  }

  /** Ends the call as gone (`why`): the backend request is cancelled, a turn waiting gets -32004. */
  close(why: string): void {
    this.cancel(new ParkedCallGoneError(this.#o.workloadId, why));
  }

  /** Ends the call: the backend request is cancelled, a turn waiting gets `reason`. Idempotent. */
  cancel(reason: unknown): void {
    if (this.#over && this.#outcome === undefined) return;
    this.#outcome = undefined;
    this.#end();
    this.#controller.abort(reason);
    const turn = this.#turn;
    this.#turn = undefined;
    turn?.reject(reason);
  }

  #begin(sink: CallSink): Promise<Result> {
    clearTimeout(this.#parkTimer);
    this.#sink = sink;
    const onAbort = () => this.cancel(sink.signal.reason);
    sink.signal.addEventListener("abort", onAbort, { once: true });
    this.#unlink = () => sink.signal.removeEventListener("abort", onAbort);
    const turn = new Promise<Result>((resolve, reject) => {
      this.#turn = { resolve, reject };
    });
    if (this.#droppedHere > 0) {
      this.#o.lot.dropped(this.#droppedHere);
      this.#droppedHere = 0;
    }
    const kept = this.#buffer;
    this.#buffer = [];
    for (const n of kept) deliver(sink, n);
    if (sink.signal.aborted) {
      onAbort();
      return turn;
    }
    if (this.#outcome !== undefined) {
      this.#finish(this.#outcome);
      return turn;
    }
    this.#armCall();
    if (this.#pending.size > 0) this.#gather();
    return turn;
  }

  /** After `batchMs`, the held requests end the turn as one round. */
  #gather(): void {
    if (this.#turn === undefined || this.#batchTimer !== undefined) return;
    this.#batchTimer = setTimeout(() => {
      this.#batchTimer = undefined;
      this.#park();
    }, this.#o.batchMs);
  }

  #park(): void {
    const turn = this.#turn;
    const callId = this.#callId;
    if (turn === undefined || callId === undefined || this.#pending.size === 0) return;
    const inputRequests: Record<string, unknown> = {};
    for (const [key, p] of this.#pending) {
      inputRequests[key] = { method: p.method, params: p.params };
    }
    this.#detach();
    this.#parkTimer = setTimeout(() => {
      countParkedLoss("park_timeout");
      this.cancel(
        new ParkedCallGoneError(this.#o.workloadId, `no retry within ${this.#o.parkTimeoutMs} ms`),
      );
    }, this.#o.parkTimeoutMs);
    const route: ParkedCallRoute = { replicaId: this.#o.lot.replicaId, callId };
    const round = { resultType: "input_required", inputRequests, [ParkedRouteKey]: route };
    const recorded = this.#o.onParked?.(callId);
    if (recorded === undefined) turn.resolve(round);
    else void recorded.then(() => turn.resolve(round));
  }

  /** The backend request ended: the turn waiting gets it, else the next one. */
  #settle(outcome: Outcome): void {
    if (this.#over) return;
    if (this.#turn === undefined) {
      // Parked: kept for the retry (the park timeout still bounds how long).
      this.#outcome = outcome;
      this.#over = true;
      return;
    }
    this.#finish(outcome);
  }

  #finish(outcome: Outcome): void {
    const turn = this.#turn;
    this.#turn = undefined;
    this.#outcome = undefined;
    this.#end();
    if (outcome.ok) turn?.resolve(outcome.value);
    else turn?.reject(outcome.error);
  }

  #armCall(): void {
    clearTimeout(this.#callTimer);
    this.#callTimer = setTimeout(
      () =>
        this.cancel(
          new BackendUnavailableError(
            this.#o.workloadId,
            `no answer within ${this.#o.callTimeoutMs} ms`,
          ),
        ),
      this.#o.callTimeoutMs,
    );
  }

  /** The turn's request lets go of the call (its sink, signal and timeout). */
  #detach(): void {
    this.#turn = undefined;
    this.#sink = undefined;
    this.#unlink?.();
    this.#unlink = undefined;
    clearTimeout(this.#callTimer);
    clearTimeout(this.#batchTimer);
    this.#batchTimer = undefined;
  }

  /** Lets go of everything the call holds: its timers, requests held, table place and lease. */
  #end(): void {
    this.#over = true;
    this.#sink = undefined;
    this.#unlink?.();
    this.#unlink = undefined;
    clearTimeout(this.#callTimer);
    clearTimeout(this.#parkTimer);
    clearTimeout(this.#batchTimer);
    this.#batchTimer = undefined;
    const gone = new ParkedCallGoneError(this.#o.workloadId, "it ended");
    for (const p of this.#pending.values()) p.reject(gone);
    this.#pending.clear();
    this.#buffer = [];
    if (this.#released) return;
    this.#released = true;
    if (this.#callId !== undefined) this.#o.lot.release(this.#callId);
    this.#o.onEnd?.();
  }
}

/** `notification` on `sink`: progress under the sink's token (none: dropped), logs when it asked. */
function deliver(sink: CallSink, notification: Notification): void {
  if (notification.method === "notifications/progress") {
    if (sink.progressToken === undefined) return;
    sink.notify({
      ...notification,
      params: { ...notification.params, progressToken: sink.progressToken },
    } as Notification);
    return;
  }
  if (notification.method === "notifications/message" && !sink.logs) return;
  sink.notify(notification);
}
