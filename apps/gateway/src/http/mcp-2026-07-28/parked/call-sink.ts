import type { Notification } from "@modelcontextprotocol/server";

/**
 * Where one turn of a parkable call delivers what its backend sends: the request waiting on the
 * call now (the first request, or a retry on this replica or, over the bus, on another).
 */
export interface CallSink {
  /** Sends a notification on that request's response (its SSE stream, or the bus). Never throws. */
  notify(notification: Notification): void;
  /** That request's progress token: the backend's progress goes out under it; none, dropped. */
  readonly progressToken?: string | number;
  /** Whether that request set a log level: the backend's log messages reach it. */
  readonly logs: boolean;
  /** Fires when that request's caller goes away: the backend call is cancelled. */
  readonly signal: AbortSignal;
}
