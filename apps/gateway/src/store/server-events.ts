import {
  MessageBusServerEventBus,
  type ServerEventBus,
  type SessionMessageBus,
} from "@vmcp/session-core";
import { failureReason } from "../log-redaction.js";
import type { GatewayLogger } from "../logger.js";

/** Default pause between two tries to open the server events on a bus that failed, ms: 1,000. */
export const DefaultServerEventsRetryMs = 1_000;

/** Options of {@link openServerEvents}. */
export interface ServerEventsOptions {
  /** The gateway's message bus (never closed here: its owner closes it, after these). */
  readonly bus: SessionMessageBus;
  /** Receives the adapter once it is open (the modern path's `ReplicaEventBus.attach`). */
  readonly attach: (events: ServerEventBus) => void;
  readonly log: GatewayLogger;
  /** Pause between tries while the bus cannot subscribe, ms; default {@link DefaultServerEventsRetryMs}. */
  readonly retryMs?: number;
}

/** The server events on the gateway's bus, open or still being opened. */
export interface ServerEvents {
  /** Stops trying, and closes the adapter (its subscription and probes; not the bus). Idempotent. */
  close(): Promise<void>;
}

/**
 * Opens session-core's `MessageBusServerEventBus` (SDK v2's `ServerEventBus` over the gateway's
 * `SessionMessageBus`: in-process for the memory store, Redis pub/sub for redis) and hands it to
 * `attach`. Resolves after the first try: open, or failed (a Redis that cannot be reached), in
 * which case one `info` line is logged (the store's own probe has warned of the outage already)
 * and it is tried again every `retryMs` in the background until it opens (logged at `info`), so
 * the gateway starts and serves meanwhile.
 */
export async function openServerEvents(options: ServerEventsOptions): Promise<ServerEvents> {
  const { log } = options;
  let adapter: MessageBusServerEventBus | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let failedBefore = false;
  const tryOpen = async (): Promise<void> => {
    try {
      const opened = await MessageBusServerEventBus.open(options.bus, {
        onError: (error, event) =>
          log.warn(
            { reason: failureReason(error), ...(event === undefined ? {} : { event: event.kind }) },
            "server events: an event was not delivered",
          ),
      });
      if (closed) {
        await opened.close();
        return;
      }
      adapter = opened;
      options.attach(opened);
      if (failedBefore) log.info("server events open on the message bus");
    } catch (error) {
      if (closed) return;
      if (!failedBefore) {
        log.info(
          { reason: failureReason(error) },
          "server events not open on the message bus: listen streams get this replica's events only until it is",
        );
      }
      failedBefore = true;
      timer = setTimeout(() => void tryOpen(), options.retryMs ?? DefaultServerEventsRetryMs);
      timer.unref();
    }
  };
  await tryOpen();
  return {
    close: async () => {
      closed = true;
      clearTimeout(timer);
      await adapter?.close();
    },
  };
}
