import { ErrorCode } from "../../error-codes.js";
import { CallerLimitError } from "./request-limits.js";

/**
 * Seconds a caller refused by {@link ModernRequestSlots} is told to wait (`Retry-After`): one of
 * its requests in flight will usually have ended by then.
 */
export const ModernRequestRetryAfterSec = 1;

/**
 * Per-caller bound on MCP 2026-07-28 requests in flight on one replica. A sessionless request has
 * no `initialize` to rate and no session to count, so what bounds a caller's share of the
 * replica (backend connections, sockets, memory held by calls that wait up to
 * `modern.callTimeoutMs`) is how many of its requests are being served at once; an open
 * `subscriptions/listen` stream is a request in flight for as long as it stays open. A caller is
 * the key `CallerLimits.callerOf` gives (its identity, else its address; `undefined` for an
 * exempt loopback caller, which is never counted). Nothing waits in a queue: a request beyond the
 * bound is refused at once.
 */
export class ModernRequestSlots {
  /** Requests one caller may have in flight at once. */
  readonly maxPerCaller: number;
  /** In-flight count by caller; a caller with none has no entry (the map holds no idle state). */
  readonly #inFlight = new Map<string, number>();

  /** @throws {RangeError} when `maxPerCaller` is not a positive integer. */
  constructor(maxPerCaller: number) {
    if (!Number.isInteger(maxPerCaller) || maxPerCaller < 1) {
      throw new RangeError(`maxPerCaller must be a positive integer, got ${maxPerCaller}`);
    }
    this.maxPerCaller = maxPerCaller;
  }

  /**
   * Takes a slot for one request of `caller`, and returns the function that gives it back (call
   * it once the response has ended; later calls do nothing).
   * @throws {CallerLimitError} (`VMCP_TOO_MANY_MODERN_REQUESTS`, HTTP 429, -32005, `Retry-After`)
   *   when the caller already has `maxPerCaller` requests in flight.
   */
  admit(caller: string | undefined): () => void {
    if (caller === undefined) return () => undefined;
    const held = this.#inFlight.get(caller) ?? 0;
    if (held >= this.maxPerCaller) {
      throw new CallerLimitError(
        ErrorCode.TooManyModernRequests,
        `this caller already has ${held} MCP 2026-07-28 requests in flight (the limit is ${this.maxPerCaller}, subscriptions/listen streams included); retry when one has ended`,
        ModernRequestRetryAfterSec,
      );
    }
    this.#inFlight.set(caller, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const now = (this.#inFlight.get(caller) ?? 1) - 1;
      if (now <= 0) this.#inFlight.delete(caller);
      else this.#inFlight.set(caller, now);
    };
  }

  /** Requests `caller` has in flight now (for tests and operators). */
  inFlight(caller: string): number {
    return this.#inFlight.get(caller) ?? 0;
  }
}
