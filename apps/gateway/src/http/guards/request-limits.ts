import type { SessionOwner } from "@vmcp/session-core";
import { VmcpSessionError } from "@vmcp/session-keys";
import { ErrorCode } from "../../error-codes.js";
import { isLoopbackAddress } from "./loopback-address.js";
import { isLoopbackName } from "./transport-rules.js";

/**
 * A JSON-RPC batch longer than `limits.maxBatchLength`: refused whole (HTTP 400, -32600), as soon
 * as the entries read exceed the bound (the rest of the body is dropped as it arrives).
 */
export class BatchTooLongError extends VmcpSessionError {
  readonly code = ErrorCode.BatchTooLong;
  /** Messages counted in the refused batch: all of them, or those read when `complete` is false. */
  readonly length: number;
  /** The configured bound. */
  readonly maxLength: number;
  /** Whether the whole body was read (`length` is exact) before the refusal. */
  readonly complete: boolean;

  constructor(length: number, maxLength: number, complete = true) {
    super(
      `a batch of ${complete ? "" : "at least "}${length} messages is longer than the limit of ${maxLength}`,
    );
    this.length = length;
    this.maxLength = maxLength;
    this.complete = complete;
  }
}

/** The codes of {@link CallerLimitError}: which per-caller limit refused the request. */
export type CallerLimitCode =
  | typeof ErrorCode.InitializeRateLimited
  | typeof ErrorCode.TooManySessions
  | typeof ErrorCode.TooManyModernRequests;

/**
 * A caller over one of its per-caller limits: its `initialize` rate, its live sessions, or its
 * MCP 2026-07-28 requests in flight (HTTP 429, -32005, with `Retry-After`).
 */
export class CallerLimitError extends VmcpSessionError {
  readonly code: CallerLimitCode;
  /** Seconds after which a retry may succeed (the `Retry-After` header). */
  readonly retryAfterSec: number;

  constructor(code: CallerLimitCode, message: string, retryAfterSec: number) {
    super(message);
    this.code = code;
    this.retryAfterSec = retryAfterSec;
  }
}

/** Options of {@link CallerLimits}. */
export interface CallerLimitsOptions {
  /** Live sessions one caller may hold on this replica. */
  readonly maxSessionsPerCaller: number;
  /** Sustained `initialize` rate per caller, per minute. */
  readonly initializePerMinute: number;
  /** `initialize` requests a caller may send at once above the sustained rate. */
  readonly initializeBurst: number;
  /**
   * Whether the session is still live on this replica (held with open backend connections);
   * the gateway passes `SessionManager.isLive`.
   */
  readonly isLive: (sessionId: string) => boolean;
  /** Session TTL, ms: a session unused for this long no longer counts (it has expired). */
  readonly sessionTtlMs: number;
  /** The clock, ms. Default `performance.now`. */
  readonly now?: () => number;
  /**
   * Whether an anonymous caller from a loopback address (127.0.0.0/8, `::1`,
   * `::ffff:127.x.x.x`) skips these limits (`exempt`) or is counted by its address like any
   * other (`limited`). The gateway resolves its `auto` setting with {@link loopbackCallersFor}.
   * Default `limited`.
   */
  readonly loopbackCallers?: "exempt" | "limited";
}

interface Bucket {
  tokens: number;
  at: number;
}

interface Tracked {
  readonly caller: string;
  lastSeen: number;
}

/** Callers (or sessions) tracked before idle ones are swept: buckets full again, sessions gone. */
const SweepThreshold = 10_000;

/** What the MCP endpoint enforces per request and per caller. */
export interface EndpointLimits {
  /** Most messages in one JSON-RPC batch. */
  readonly maxBatchLength: number;
  /** The per-caller limits of this replica (and who is a caller: `callerOf`). */
  readonly callers: CallerLimits;
  /**
   * Each caller's MCP 2026-07-28 requests in flight on this replica (`ModernRequestSlots`,
   * counted per `callers.callerOf`). Default: not bounded.
   */
  readonly modernRequests?: { admit(caller: string | undefined): () => void };
}

/**
 * Per-caller limits of one replica: a token bucket on `initialize` and a cap on live sessions.
 * A caller is its verified identity (issuer and subject), or its remote address when anonymous
 * (behind a reverse proxy every anonymous caller shares the proxy's address); see
 * {@link CallerLimits.callerOf}, which also says who is exempt.
 */
export class CallerLimits {
  readonly #limits: CallerLimitsOptions;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();
  readonly #sessionsByCaller = new Map<string, Set<string>>();
  readonly #sessions = new Map<string, Tracked>();
  #nextSessionSweep = SweepThreshold;

  constructor(options: CallerLimitsOptions) {
    this.#limits = options;
    this.#now = options.now ?? (() => performance.now());
  }

  /**
   * The key a request counts against: `id:<issuer, subject>` for a verified identity, else
   * `addr:<remote address>`; `undefined` for an anonymous caller these limits exempt (a loopback
   * address, with `loopbackCallers` `exempt`). The address is the socket's remote address, the
   * same one the key holds: the gateway reads no `X-Forwarded-For`.
   */
  callerOf(owner: SessionOwner | undefined, remoteAddress: string | undefined): string | undefined {
    if (owner !== undefined) return `id:${JSON.stringify([owner.issuer, owner.subject])}`;
    if (this.#limits.loopbackCallers === "exempt" && isLoopbackAddress(remoteAddress))
      return undefined;
    return `addr:${remoteAddress ?? "unknown"}`;
  }

  /**
   * Admits one `initialize` from `caller`, taking a token.
   * @throws {CallerLimitError} when the caller holds `maxSessionsPerCaller` live sessions, or
   *   its `initialize` bucket is empty.
   */
  admitInitialize(caller: string): void {
    const now = this.#now();
    const live = this.#liveCount(caller, now);
    if (live >= this.#limits.maxSessionsPerCaller) {
      throw new CallerLimitError(
        ErrorCode.TooManySessions,
        `this caller already holds ${live} live sessions (the limit is ${this.#limits.maxSessionsPerCaller}); end one with DELETE or reuse it`,
        60,
      );
    }
    const perMs = this.#limits.initializePerMinute / 60_000;
    const bucket = this.#buckets.get(caller) ?? { tokens: this.#limits.initializeBurst, at: now };
    bucket.tokens = Math.min(
      this.#limits.initializeBurst,
      bucket.tokens + (now - bucket.at) * perMs,
    );
    bucket.at = now;
    if (bucket.tokens < 1) {
      this.#buckets.set(caller, bucket);
      throw new CallerLimitError(
        ErrorCode.InitializeRateLimited,
        `too many initialize requests from this caller (limit ${this.#limits.initializePerMinute} per minute, burst ${this.#limits.initializeBurst}); retry later`,
        Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)),
      );
    }
    bucket.tokens -= 1;
    this.#buckets.set(caller, bucket);
    if (this.#buckets.size > SweepThreshold) this.#sweep(now);
  }

  /** Records a session `caller` created. */
  created(caller: string, sessionId: string): void {
    this.#sessions.set(sessionId, { caller, lastSeen: this.#now() });
    let set = this.#sessionsByCaller.get(caller);
    if (set === undefined) {
      set = new Set();
      this.#sessionsByCaller.set(caller, set);
    }
    set.add(sessionId);
    if (this.#sessions.size > this.#nextSessionSweep) {
      const now = this.#now();
      for (const [id, tracked] of this.#sessions) {
        if (now - tracked.lastSeen >= this.#limits.sessionTtlMs || !this.#limits.isLive(id))
          this.ended(id);
      }
      this.#nextSessionSweep = Math.max(SweepThreshold, 2 * this.#sessions.size);
    }
  }

  /** Records a request served in a session (it stays counted for another TTL). */
  seen(sessionId: string): void {
    const tracked = this.#sessions.get(sessionId);
    if (tracked !== undefined) tracked.lastSeen = this.#now();
  }

  /** Forgets a terminated session. */
  ended(sessionId: string): void {
    const tracked = this.#sessions.get(sessionId);
    if (tracked === undefined) return;
    this.#sessions.delete(sessionId);
    const set = this.#sessionsByCaller.get(tracked.caller);
    set?.delete(sessionId);
    if (set?.size === 0) this.#sessionsByCaller.delete(tracked.caller);
  }

  /** Live sessions `caller` holds now, forgetting those evicted or unused for a TTL. */
  #liveCount(caller: string, now: number): number {
    const set = this.#sessionsByCaller.get(caller);
    if (set === undefined) return 0;
    for (const id of set) {
      const tracked = this.#sessions.get(id);
      if (
        tracked === undefined ||
        now - tracked.lastSeen >= this.#limits.sessionTtlMs ||
        !this.#limits.isLive(id)
      ) {
        this.ended(id);
      }
    }
    return this.#sessionsByCaller.get(caller)?.size ?? 0;
  }

  /** Drops buckets that are full again: they carry no state. */
  #sweep(now: number): void {
    const perMs = this.#limits.initializePerMinute / 60_000;
    for (const [caller, bucket] of this.#buckets) {
      if (bucket.tokens + (now - bucket.at) * perMs >= this.#limits.initializeBurst) {
        this.#buckets.delete(caller);
      }
    }
  }
}

/**
 * Resolves the `limits.loopbackCallers` setting for a gateway listening on `listenHost`: `auto`
 * exempts anonymous loopback callers only when the gateway listens on a loopback address or name
 * (then every caller is on this machine); a wildcard or public bind keeps them limited, since a
 * reverse proxy on the same host would make every caller loopback.
 */
export function loopbackCallersFor(
  setting: "auto" | "exempt" | "limited",
  listenHost: string,
): "exempt" | "limited" {
  if (setting !== "auto") return setting;
  return isLoopbackName(listenHost) ? "exempt" : "limited";
}

/**
 * Counts the top-level entries of a JSON array as its bytes arrive, without building anything:
 * one pass over each chunk, strings and nesting respected, state kept across chunk boundaries
 * (every structural character of JSON is ASCII, and no byte of a multi-byte UTF-8 character is).
 * So the endpoint refuses an over-long batch while it is still arriving, and never buffers or
 * parses it. The count only grows; for malformed JSON it is a best effort (parsing then reports
 * the error).
 */
export class BatchEntryCounter {
  #phase: "lead" | "array" | "done" | "other" = "lead";
  #depth = 0;
  #inString = false;
  #escaped = false;
  #commas = 0;
  #sawValue = false;

  /** Entries counted so far; `undefined` when the body is not a JSON array. */
  get entries(): number | undefined {
    if (this.#phase === "other") return undefined;
    return this.#sawValue ? this.#commas + 1 : 0;
  }

  /** Scans the next bytes of the body and returns {@link entries}. */
  push(bytes: Uint8Array): number | undefined {
    for (let i = 0; i < bytes.length && this.#phase !== "done" && this.#phase !== "other"; i++) {
      this.#scan(bytes[i] as number);
    }
    return this.entries;
  }

  #scan(c: number): void {
    if (this.#phase === "lead") {
      if (isJsonSpace(c)) return;
      if (c !== 0x5b) {
        this.#phase = "other"; // not an array: a single message
        return;
      }
      this.#phase = "array";
      this.#depth = 1;
      return;
    }
    if (this.#inString) {
      if (this.#escaped) this.#escaped = false;
      else if (c === 0x5c)
        this.#escaped = true; // backslash: the next character is escaped
      else if (c === 0x22) this.#inString = false;
      return;
    }
    if (c === 0x22) {
      this.#inString = true;
      if (this.#depth === 1) this.#sawValue = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (this.#depth === 1) this.#sawValue = true;
      this.#depth++;
    } else if (c === 0x5d || c === 0x7d) {
      this.#depth--;
      if (this.#depth === 0) this.#phase = "done";
    } else if (c === 0x2c) {
      if (this.#depth === 1) this.#commas++;
    } else if (this.#depth === 1 && !isJsonSpace(c)) {
      this.#sawValue = true;
    }
  }
}

/**
 * A `readBody` inspector that refuses a batch once more than `maxLength` of its entries have
 * arrived ({@link BatchEntryCounter}), with {@link BatchTooLongError} counting those read so far.
 */
export function batchLengthGuard(maxLength: number): (chunk: Uint8Array) => void {
  const counter = new BatchEntryCounter();
  return (chunk) => {
    const entries = counter.push(chunk);
    if (entries !== undefined && entries > maxLength)
      throw new BatchTooLongError(entries, maxLength, false);
  };
}

function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}
