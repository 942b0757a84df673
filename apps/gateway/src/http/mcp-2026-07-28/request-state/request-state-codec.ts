import { randomBytes, timingSafeEqual } from "node:crypto";
import type { SessionOwner } from "@vmcp/session-core";
import { InvalidRequestStateError, RequestStateTooLargeError } from "./request-state-errors.js";
import { RequestStateBindTagBytes, type RequestStateKey } from "./request-state-key.js";

/** The format version every state starts with: `v1.<payload>.<mac>`. */
export const RequestStateVersion = "v1";

/** Default lifetime of a sealed state: 600,000 ms (10 minutes), as SDK v2's codec. */
export const DefaultRequestStateTtlMs = 600_000;

/** Default bound of a state the gateway seals or opens: 65,536 bytes (64 KiB). */
export const DefaultMaxRequestStateBytes = 64 * 1024;

/** Default bound of a backend's own `requestState` carried inside: 32,768 bytes (UTF-8). */
export const DefaultMaxBackendStateBytes = 32 * 1024;

/** Random bytes of a state's nonce: 16 (128 bits), base64url in 22 characters. */
export const RequestStateNonceBytes = 16;

/** The methods that may answer `input_required` (spec 2026-07-28, MRTR). */
export type RequestStateMethod = "tools/call" | "prompts/get" | "resources/read";

/**
 * What a state is bound to: who asked and which request. The first round seals it; the retry
 * presents its own, and anything that differs refuses the state (`bind`).
 */
export interface RequestStateBinding {
  /** The verified caller (issuer and subject); `undefined` for an anonymous caller. */
  readonly owner: SessionOwner | undefined;
  /** The request's method. */
  readonly method: RequestStateMethod;
  /** The tool name (`tools/call`), prompt name (`prompts/get`) or resource URI (`resources/read`). */
  readonly target: string;
  /** `digestRequestArguments(params)` of the request. */
  readonly argsDigest: string;
}

/** A 2025-era backend call parked on one replica, waiting for the client's input. */
export interface ParkedCall {
  /** The replica that holds the backend connection (its bus address). */
  readonly replicaId: string;
  /** The parked call's ID on that replica. */
  readonly callId: string;
}

/** Where the retry goes: the backend, and for a parked 2025-era call, the replica and call. */
export interface RequestStateRoute {
  /** The backend's workload ID. */
  readonly workloadId: string;
  /**
   * The backend's own tool or prompt name, or resource URI, that the retry asks for (it may
   * differ from the name the client sees); absent: the retry resolves the client's name again.
   */
  readonly target?: string;
  /** Present for a parked 2025-era call; absent for a modern backend (any replica re-calls it). */
  readonly parked?: ParkedCall;
}

/** What {@link sealRequestState} seals. */
export interface RequestStateContents {
  /** The caller and request the state is bound to. */
  readonly binding: RequestStateBinding;
  /** Where the retry goes. */
  readonly route: RequestStateRoute;
  /** The backend's own `requestState`, handed back to it on the retry; absent when it sent none. */
  readonly backendState?: string;
}

/** What {@link openRequestState} returns: the route, the backend's state, and what makes it single-use. */
export interface OpenedRequestState {
  /** Where the retry goes. */
  readonly route: RequestStateRoute;
  /** The backend's own `requestState`; absent when it sent none. */
  readonly backendState?: string;
  /** The state's random nonce (22 base64url characters): the single-use ledger's key. */
  readonly nonce: string;
  /** When the state stops being accepted, epoch ms. */
  readonly expiresAt: number;
}

/** Bounds and lifetime of sealed states; every field has a safe default. */
export interface RequestStateOptions {
  /** How long a sealed state is accepted, ms. Default {@link DefaultRequestStateTtlMs} (10 minutes). */
  readonly ttlMs?: number;
  /**
   * Largest state sealed or opened, bytes; a longer one is refused before any MAC is computed.
   * Default {@link DefaultMaxRequestStateBytes} (64 KiB).
   */
  readonly maxStateBytes?: number;
  /** Largest backend `requestState` carried inside, bytes (UTF-8). Default {@link DefaultMaxBackendStateBytes} (32 KiB). */
  readonly maxBackendStateBytes?: number;
}

/**
 * Seals the gateway's own `requestState` for one MRTR round: `v1.<payload>.<mac>`, where payload
 * is base64url JSON of a fresh 128-bit nonce, the deadline (`now + ttlMs`, epoch ms), a 128-bit
 * tag binding the caller and request, the route and the backend's state, and mac is the base64url
 * HMAC-SHA256 of `v1.<payload>` under a key derived from the binding secret.
 *
 * Signed, not encrypted: the route and the backend's state are readable by whoever holds the
 * state (see the gateway README, "MRTR request state"); the caller's issuer and subject are not
 * in it, only the keyed tag.
 * @param now the current time, epoch ms.
 * @throws {RequestStateTooLargeError} when the backend's state exceeds `maxBackendStateBytes`, or
 *   the sealed state `maxStateBytes`.
 */
export function sealRequestState(
  contents: RequestStateContents,
  key: RequestStateKey,
  now: number,
  options: RequestStateOptions = {},
): string {
  const limits = limitsOf(options);
  const { backendState, route } = contents;
  if (backendState !== undefined) {
    // UTF-8 takes at most 3 bytes per UTF-16 unit, so only a long string needs counting.
    const bytes =
      backendState.length * 3 <= limits.maxBackendStateBytes
        ? 0
        : Buffer.byteLength(backendState, "utf8");
    if (bytes > limits.maxBackendStateBytes) {
      throw new RequestStateTooLargeError("backend state", bytes, limits.maxBackendStateBytes);
    }
  }
  const payload: WirePayload = {
    n: nextNonce(),
    x: now + limits.ttlMs,
    b: key.bindTag(bindingText(contents.binding)).toString("base64url"),
    w: route.workloadId,
    ...(route.target === undefined ? {} : { t: route.target }),
    ...(route.parked === undefined ? {} : { p: [route.parked.replicaId, route.parked.callId] }),
    ...(backendState === undefined ? {} : { s: backendState }),
  };
  const signed = `${RequestStateVersion}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
  const state = `${signed}.${key.mac(signed)}`;
  if (state.length > limits.maxStateBytes) {
    throw new RequestStateTooLargeError("request state", state.length, limits.maxStateBytes);
  }
  return state;
}

/**
 * Opens a `requestState` a retry presents, checking, in this order: its shape and size (before
 * any crypto), its MAC (constant-time), its deadline, then its binding to `expected` (the retry's
 * caller, method, target and args digest; a state sealed for an anonymous caller is bound to no
 * identity, and only an anonymous retry matches it). It does not make the state single-use: that
 * is `RequestStateLedger.consume(opened.nonce, opened.expiresAt)`, asked after this succeeds
 * (`redeemRequestState` does both), so an expired state is reported `expired`, never `replayed`.
 * @param state the retry's `params.requestState` as received (any type; only a string can pass).
 * @param now the current time, epoch ms; the state is accepted while `now < expiresAt`.
 * @throws {InvalidRequestStateError} with `reason` `malformed`, `mac`, `expired` or `bind`.
 */
export function openRequestState(
  state: unknown,
  key: RequestStateKey,
  expected: RequestStateBinding,
  now: number,
  options: RequestStateOptions = {},
): OpenedRequestState {
  const limits = limitsOf(options);
  if (typeof state !== "string" || state.length === 0) {
    throw new InvalidRequestStateError("malformed", "not a non-empty string");
  }
  // Characters bound bytes from below; a state of the right length with a non-ASCII character is
  // refused by the alphabet check below.
  if (state.length > limits.maxStateBytes) {
    throw new InvalidRequestStateError("malformed", `longer than ${limits.maxStateBytes} bytes`);
  }
  const firstDot = state.indexOf(".");
  const lastDot = state.lastIndexOf(".");
  if (firstDot === lastDot || state.slice(0, firstDot) !== RequestStateVersion) {
    throw new InvalidRequestStateError("malformed", `not ${RequestStateVersion}.<payload>.<mac>`);
  }
  const body = state.slice(firstDot + 1, lastDot);
  const mac = state.slice(lastDot + 1);
  if (!isBase64Url(body) || !isBase64Url(mac)) {
    throw new InvalidRequestStateError("malformed", "not base64url");
  }
  const presented = Buffer.from(mac, "latin1");
  const computed = Buffer.from(key.mac(state.slice(0, lastDot)), "latin1");
  if (presented.length !== computed.length || !timingSafeEqual(presented, computed)) {
    throw new InvalidRequestStateError("mac", "its MAC does not verify under this binding secret");
  }
  const payload = decodePayload(body);
  if (now >= payload.x) throw new InvalidRequestStateError("expired", "its deadline has passed");
  const tag = Buffer.from(payload.b, "base64url");
  const wanted = key.bindTag(bindingText(expected));
  if (tag.length !== wanted.length || !timingSafeEqual(tag, wanted)) {
    throw new InvalidRequestStateError(
      "bind",
      "sealed for another caller, method, target or arguments",
    );
  }
  const route: RequestStateRoute = {
    workloadId: payload.w,
    ...(payload.t === undefined ? {} : { target: payload.t }),
    ...(payload.p === undefined
      ? {}
      : { parked: { replicaId: payload.p[0], callId: payload.p[1] } }),
  };
  return {
    route,
    ...(payload.s === undefined ? {} : { backendState: payload.s }),
    nonce: payload.n,
    expiresAt: payload.x,
  };
}

/** Bytes drawn from the OS's secure random source at once for nonces: 4,096 (256 nonces). */
const NoncePoolBytes = 4096;
let noncePool = Buffer.alloc(0);
let noncePoolOffset = 0;

/**
 * A fresh nonce: the next {@link RequestStateNonceBytes} unused bytes of a pool filled by
 * `crypto.randomBytes`, base64url. Each byte is used once; drawing 4 KiB at a time spares a
 * call into the random source per state, which was more than half of `sealRequestState`
 * (35 µs a seal with it, 15 µs without, on the loaded development machine).
 */
function nextNonce(): string {
  if (noncePoolOffset + RequestStateNonceBytes > noncePool.length) {
    noncePool = randomBytes(NoncePoolBytes);
    noncePoolOffset = 0;
  }
  const start = noncePoolOffset;
  noncePoolOffset += RequestStateNonceBytes;
  return noncePool.toString("base64url", start, noncePoolOffset);
}

/** The JSON inside a state, with one-letter names to keep it short. */
interface WirePayload {
  /** Nonce, base64url. */
  readonly n: string;
  /** Deadline, epoch ms. */
  readonly x: number;
  /** Bind tag, base64url. */
  readonly b: string;
  /** Route: workload ID. */
  readonly w: string;
  /** Route: the backend's own target. */
  readonly t?: string;
  /** Route: parked call's replica and call ID. */
  readonly p?: readonly [string, string];
  /** The backend's own state. */
  readonly s?: string;
}

const payloadKeys: ReadonlySet<string> = new Set(["n", "x", "b", "w", "t", "p", "s"]);
const nonceChars = Math.ceil((RequestStateNonceBytes * 4) / 3);
const tagChars = Math.ceil((RequestStateBindTagBytes * 4) / 3);

/**
 * The payload of a state whose MAC verified. A payload that does not fit was sealed by a gateway
 * that shares the secret but not this format: refused as `malformed`, never guessed at.
 */
function decodePayload(body: string): WirePayload {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
  } catch {
    throw new InvalidRequestStateError("malformed", "its payload is not JSON");
  }
  const p = parsed as Partial<Record<keyof WirePayload, unknown>>;
  const fits =
    typeof parsed === "object" &&
    parsed !== null &&
    !Array.isArray(parsed) &&
    Object.keys(parsed).every((name) => payloadKeys.has(name)) &&
    typeof p.n === "string" &&
    p.n.length === nonceChars &&
    typeof p.x === "number" &&
    Number.isSafeInteger(p.x) &&
    typeof p.b === "string" &&
    p.b.length === tagChars &&
    typeof p.w === "string" &&
    p.w.length > 0 &&
    (p.t === undefined || typeof p.t === "string") &&
    (p.p === undefined ||
      (Array.isArray(p.p) &&
        p.p.length === 2 &&
        typeof p.p[0] === "string" &&
        typeof p.p[1] === "string")) &&
    (p.s === undefined || typeof p.s === "string");
  if (!fits) throw new InvalidRequestStateError("malformed", "its payload has the wrong shape");
  return parsed as WirePayload;
}

/**
 * The text the bind tag is computed over: JSON of the caller (`[issuer, subject]`, or `null` when
 * anonymous), the method, the target and the args digest. JSON keeps the parts apart whatever
 * characters they hold.
 */
function bindingText(binding: RequestStateBinding): string {
  const owner = binding.owner === undefined ? null : [binding.owner.issuer, binding.owner.subject];
  return JSON.stringify([owner, binding.method, binding.target, binding.argsDigest]);
}

/** Whether `text` is non-empty and only base64url characters (A-Z, a-z, 0-9, `-`, `_`; no padding). */
function isBase64Url(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const ok =
      (c >= 0x41 && c <= 0x5a) ||
      (c >= 0x61 && c <= 0x7a) ||
      (c >= 0x30 && c <= 0x39) ||
      c === 0x2d ||
      c === 0x5f;
    if (!ok) return false;
  }
  return true;
}

/** The options with their defaults. @throws {RangeError} for a value that is not a positive integer. */
function limitsOf(options: RequestStateOptions): Required<RequestStateOptions> {
  return {
    ttlMs: positive(options.ttlMs ?? DefaultRequestStateTtlMs, "ttlMs"),
    maxStateBytes: positive(options.maxStateBytes ?? DefaultMaxRequestStateBytes, "maxStateBytes"),
    maxBackendStateBytes: positive(
      options.maxBackendStateBytes ?? DefaultMaxBackendStateBytes,
      "maxBackendStateBytes",
    ),
  };
}

function positive(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}
