import { randomBytes } from "node:crypto";
import {
  BusClosedError,
  BusMessageTooLargeError,
  InvalidSessionInputError,
} from "../storage/errors.js";
import { assertValidSessionId } from "../storage/session-id.js";
import type { BusSubscription, SessionMessageBus } from "../storage/session-message-bus.js";
import { AnnouncementSchedule } from "./announcement-schedule.js";
import { decodeFrame, encodeFrame } from "./event-frame.js";
import { SequenceGaps } from "./sequence-gaps.js";
import {
  readServerEvent,
  type ServerEvent,
  type ServerEventBus,
  type ServerEventListener,
} from "./server-event.js";
import { ServerEventDecodeError } from "./server-event-errors.js";

/**
 * The default channel of the server events: a session ID reserved for them. It holds `:`, which
 * `generateSessionId` (base64url) never produces, so no session's channel is ever this one.
 */
export const ServerEventsChannelId = "vmcp:server-events";

/** The default largest frame (an event with its envelope), in UTF-8 bytes: 64 KiB. */
export const DefaultMaxServerEventBytes = 65_536;

/** The default time between two probes of an adapter, ms: 5,000. */
export const DefaultServerEventProbeIntervalMs = 5_000;

/** The default least time between two announcements of lost events, ms: 1,000. */
export const DefaultMinLossAnnouncementIntervalMs = 1_000;

/** The default number of publishing adapters whose frame count is tracked: 1,024. */
export const DefaultMaxServerEventSources = 1_024;

/** The list events announced locally when events were lost (see `whenEventsLost`). */
const ListChanges: readonly ServerEvent[] = Object.freeze([
  { kind: "tools_list_changed" },
  { kind: "prompts_list_changed" },
  { kind: "resources_list_changed" },
]);

/** Options of {@link MessageBusServerEventBus.open}. */
export interface MessageBusServerEventBusOptions {
  /**
   * The session ID whose bus channel carries the events. Default {@link ServerEventsChannelId}.
   * Give every deployment that shares a bus server its own (or give their buses their own key
   * prefix). It must be a valid session ID holding a character outside base64url, so it can
   * never be a generated session's ID.
   */
  readonly channelId?: string;
  /**
   * The largest frame published or accepted, in UTF-8 bytes: a larger event is not published
   * (`BusMessageTooLargeError` to `onError`), a larger incoming message is dropped
   * (`ServerEventDecodeError`). It only helps below the bus's own bound. Default
   * {@link DefaultMaxServerEventBytes} (64 KiB).
   */
  readonly maxEventBytes?: number;
  /**
   * Called with what goes wrong away from any caller: a publish the bus refused or could not
   * deliver to the bus server (`BusUnavailableError`, ...; a failing probe once per outage), an
   * incoming message dropped (`ServerEventDecodeError`), an event refused at `publish`
   * (`InvalidSessionInputError`, `BusMessageTooLargeError`, `BusClosedError` after `close()`),
   * and an error a listener threw. When the error concerns one event (a publish refused or
   * failed, a listener that threw on it), that event comes second, so a log can name what was
   * lost. It must not throw. Default: a process warning.
   */
  readonly onError?: (error: Error, event?: ServerEvent) => void;
  /**
   * How often the adapter publishes a probe (a frame with no event) so that every adapter,
   * itself included, notices frames it missed even when no event follows, ms. 0: no probes
   * (losses are then noticed at the next event only). Default
   * {@link DefaultServerEventProbeIntervalMs} (5,000 ms).
   */
  readonly probeIntervalMs?: number;
  /**
   * What the adapter does when it notices that frames went missing (the bus was down, a
   * publish failed, the subscriber connection dropped): `"announce-list-changes"` hands its own
   * listeners `tools_list_changed`, `prompts_list_changed` and `resources_list_changed`, so
   * every listen stream on this replica refetches its lists; `"ignore"` does nothing. A lost
   * `resource_updated` is only covered by `resources_list_changed`. Default
   * `"announce-list-changes"`.
   */
  readonly whenEventsLost?: "announce-list-changes" | "ignore";
  /**
   * Least time between two such announcements, ms: losses noticed meanwhile (one per replica
   * after an outage) join one announcement at the end of the interval. Default
   * {@link DefaultMinLossAnnouncementIntervalMs} (1,000 ms).
   */
  readonly minLossAnnouncementIntervalMs?: number;
  /**
   * The most publishing adapters (replicas) whose frame count is tracked at once; past it the
   * one heard from least recently is forgotten. Default {@link DefaultMaxServerEventSources}
   * (1,024).
   */
  readonly maxSources?: number;
}

/**
 * SDK v2's `ServerEventBus` over any `SessionMessageBus`: the change events of
 * `subscriptions/listen` cross processes on one reserved bus channel, so every replica's
 * `createMcpHandler(factory, { bus })` delivers what any replica publishes. Over
 * `InProcessMessageBus` (store-memory) it serves one process, over `RedisMessageBus`
 * (store-redis) many, on standalone, Sentinel or Cluster.
 *
 * - **One subscription.** {@link open} subscribes the channel once and resolves when the bus has
 *   confirmed it; every local listener shares it.
 * - **Exactly the bus's delivery.** `publish` only sends the event to the bus, and the bus hands
 *   it back to this adapter's own subscription like every other replica's: a listener on the
 *   publishing replica gets each event once, on a later turn of the event loop, never inside
 *   `publish` (so never echoed into a listener that publishes). Delivery is the bus's: at most
 *   once, in publish order per publisher.
 * - **Checked input.** Incoming messages are parsed and checked (JSON, one of the four kinds, a
 *   URI on `resource_updated`, the size bound); a bad one is dropped and reported.
 * - **Losses are noticed.** Every frame carries its publisher's ID and count; probes carry the
 *   count when no event does. A replica that finds a gap (the bus server restarted, its
 *   subscriber connection dropped, a publish failed) announces the three list changes to its
 *   listeners (see `whenEventsLost`). Events published while the bus is down are lost for
 *   everyone: the bus stores nothing.
 *
 * `close()` ends the subscription, the probes and every listener; it does not close the bus
 * (whoever opened the bus closes it, after the adapter).
 */
export class MessageBusServerEventBus implements ServerEventBus {
  /** The channel (reserved session ID) this adapter publishes and listens on. */
  readonly channelId: string;
  /** This adapter's ID in the frames it publishes: 16 random base64url characters. */
  readonly sourceId = randomBytes(12).toString("base64url");
  readonly #bus: SessionMessageBus;
  readonly #maxEventBytes: number;
  readonly #onError: (error: Error, event?: ServerEvent) => void;
  readonly #probeIntervalMs: number;
  readonly #announceLosses: boolean;
  readonly #listeners = new Set<ServerEventListener>();
  readonly #gaps: SequenceGaps;
  readonly #announcements: AnnouncementSchedule;
  #subscription: BusSubscription | undefined;
  #probeTimer: ReturnType<typeof setInterval> | undefined;
  #probeInFlight = false;
  #probeFailing = false;
  #seq = 0;
  #closed = false;

  /**
   * Opens an adapter on `bus`: validates the options, subscribes the channel and resolves once
   * the subscription is live. Serve listen streams only after it resolved.
   * @throws {TypeError} when `channelId` is not a valid session ID or could be a generated one.
   * @throws {RangeError} when a bound is not an integer in its range (the two intervals at most
   *   2,147,483,647 ms, the longest a Node timer takes).
   * @throws {BusUnavailableError} when the bus server cannot be reached within the bus's bound.
   * @throws {BusClosedError} when the bus is closed.
   */
  static async open(
    bus: SessionMessageBus,
    options: MessageBusServerEventBusOptions = {},
  ): Promise<MessageBusServerEventBus> {
    const adapter = new MessageBusServerEventBus(bus, options);
    await adapter.#start();
    return adapter;
  }

  private constructor(bus: SessionMessageBus, options: MessageBusServerEventBusOptions) {
    this.channelId = reservedChannel(options.channelId ?? ServerEventsChannelId);
    this.#bus = bus;
    this.#maxEventBytes = bounded(
      "maxEventBytes",
      options.maxEventBytes,
      DefaultMaxServerEventBytes,
      1,
    );
    this.#probeIntervalMs = bounded(
      "probeIntervalMs",
      options.probeIntervalMs,
      DefaultServerEventProbeIntervalMs,
      0,
      MaxTimerMs,
    );
    const whenLost = options.whenEventsLost ?? "announce-list-changes";
    if (whenLost !== "announce-list-changes" && whenLost !== "ignore") {
      throw new RangeError(
        `whenEventsLost must be "announce-list-changes" or "ignore", got ${String(whenLost)}`,
      );
    }
    this.#announceLosses = whenLost === "announce-list-changes";
    this.#gaps = new SequenceGaps(
      bounded("maxSources", options.maxSources, DefaultMaxServerEventSources, 1),
    );
    this.#announcements = new AnnouncementSchedule(
      bounded(
        "minLossAnnouncementIntervalMs",
        options.minLossAnnouncementIntervalMs,
        DefaultMinLossAnnouncementIntervalMs,
        0,
        MaxTimerMs,
      ),
      () => {
        for (const event of ListChanges) this.#dispatch(event);
      },
    );
    this.#onError = options.onError ?? warnServerEventError;
  }

  /** How many listeners are registered now. */
  get listenerCount(): number {
    return this.#listeners.size;
  }

  /**
   * Sends `event` to the bus, for every replica's listeners (this one's included, through the
   * bus). Never throws and never calls a listener itself: a refused event (not a server event,
   * over `maxEventBytes`, after `close()`) and a failed publish go to `onError`.
   */
  publish(event: ServerEvent): void {
    if (this.#closed) {
      this.#report(new BusClosedError(), event);
      return;
    }
    const checked = readServerEvent(event);
    if (typeof checked === "string") {
      this.#report(new InvalidSessionInputError(`not a server event: ${checked}`));
      return;
    }
    this.#send(checked);
  }

  /**
   * Registers `listener` for every event this adapter receives from now on; returns an
   * idempotent unsubscribe. After `close()` the listener is never called.
   */
  subscribe(listener: ServerEventListener): () => void {
    if (this.#closed) return () => undefined;
    // Each call has its own entry: a function subscribed twice is called twice, and each
    // unsubscribe removes only its own registration.
    const entry: ServerEventListener = (event) => listener(event);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  /**
   * Ends the bus subscription, stops the probes and drops every listener. Idempotent; never
   * rejects. The bus stays open.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#probeTimer !== undefined) clearInterval(this.#probeTimer);
    this.#announcements.close();
    this.#listeners.clear();
    await this.#subscription?.unsubscribe();
  }

  async #start(): Promise<void> {
    this.#subscription = await this.#bus.subscribe(this.channelId, (message) =>
      this.#receive(message),
    );
    if (this.#probeIntervalMs > 0) {
      this.#probeTimer = setInterval(() => this.#probe(), this.#probeIntervalMs);
      this.#probeTimer.unref();
    }
  }

  /** Frames and sends an event, or a probe when `event` is undefined; resolves once settled. */
  #send(event: ServerEvent | undefined): Promise<boolean> {
    const seq = this.#seq + 1;
    const frame = encodeFrame(
      event === undefined ? { source: this.sourceId, seq } : { source: this.sourceId, seq, event },
    );
    const bytes = Buffer.byteLength(frame, "utf8");
    if (bytes > this.#maxEventBytes) {
      this.#report(new BusMessageTooLargeError(bytes, this.#maxEventBytes), event);
      return Promise.resolve(false);
    }
    // Counted even when the publish fails: every receiver then sees the gap, and refetches.
    this.#seq = seq;
    return this.#bus.publish(this.channelId, frame).then(
      () => true,
      (error: unknown) => {
        if (event !== undefined || !this.#probeFailing) this.#report(error, event);
        return false;
      },
    );
  }

  #probe(): void {
    if (this.#closed || this.#probeInFlight) return;
    this.#probeInFlight = true;
    void this.#send(undefined).then((sent) => {
      this.#probeInFlight = false;
      this.#probeFailing = !sent;
    });
  }

  #receive(message: string): void {
    if (this.#closed) return;
    const bytes = Buffer.byteLength(message, "utf8");
    const frame =
      bytes > this.#maxEventBytes
        ? `the message of ${bytes} bytes is over the bound of ${this.#maxEventBytes} bytes`
        : decodeFrame(message);
    if (typeof frame === "string") {
      this.#report(new ServerEventDecodeError(this.channelId, frame));
      return;
    }
    const missed = this.#gaps.observe(frame.source, frame.seq);
    if (missed > 0 && this.#announceLosses) this.#announcements.request();
    if (frame.event !== undefined) this.#dispatch(frame.event);
  }

  /** Calls every listener registered now (and still registered when its turn comes). */
  #dispatch(event: ServerEvent): void {
    for (const listener of [...this.#listeners]) {
      if (!this.#listeners.has(listener)) continue;
      try {
        listener(event);
      } catch (error) {
        this.#report(error, event);
      }
    }
  }

  #report(error: unknown, event?: ServerEvent): void {
    try {
      this.#onError(error instanceof Error ? error : new Error(String(error)), event);
    } catch {
      // onError must not throw; if it does, the adapter goes on all the same.
    }
  }
}

/** The default `onError`: a process warning (naming the event's kind, when there is one). */
function warnServerEventError(error: Error, event?: ServerEvent): void {
  const about = event === undefined ? "" : ` (${event.kind})`;
  process.emitWarning(`server events${about}: ${error.message}`);
}

/** `id` when it is a valid session ID that no `generateSessionId` can produce. */
function reservedChannel(id: string): string {
  try {
    assertValidSessionId(id);
  } catch (error) {
    throw new TypeError(`channelId: ${(error as Error).message}`);
  }
  if (/^[A-Za-z0-9_-]*$/.test(id)) {
    throw new TypeError(
      `channelId ${JSON.stringify(id)} holds only base64url characters, so it could be a generated session's ID; add one outside them (such as ":")`,
    );
  }
  return id;
}

/** The longest delay Node's timers take, ms (a longer one would fire after 1 ms). */
const MaxTimerMs = 2_147_483_647;

/** An option's value or its default, refused unless it is an integer from `min` to `max`. */
function bounded(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const chosen = value ?? fallback;
  if (!Number.isSafeInteger(chosen) || chosen < min || chosen > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${String(chosen)}`);
  }
  return chosen;
}
