/**
 * What may reach a log line, and in what shape: strings are cut to a bounded length, bytes are
 * never written (a request's raw bytes may hold a bearer token), errors become a short record
 * with a stack only when they are unexpected, and a cause is shown only when its text is not
 * already in the message.
 */
import { ErrorCode } from "./error-codes.js";

/** Default length at which string values in log lines are cut: 1024 characters. */
export const DefaultMaxLogValueChars = 1024;

/**
 * Error codes of failures the gateway expects in normal operation (a store or backend that is
 * unreachable, a client that went away, a refused credential): logged without a stack.
 */
export const ExpectedErrorCodes: ReadonlySet<string> = new Set([
  ErrorCode.StorageUnavailable,
  ErrorCode.StorageClosed,
  ErrorCode.BackendUnavailable,
  ErrorCode.BackendSessionExpired,
  ErrorCode.BackendConnect,
  ErrorCode.Unauthenticated,
  ErrorCode.TokenTooLarge,
  ErrorCode.SessionOwnerMismatch,
  ErrorCode.SessionClosed,
  "ECONNRESET",
  "EPIPE",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "ERR_HTTP_REQUEST_TIMEOUT",
]);

/** Error properties copied into a log record when they hold a string or a number. */
const ErrorFields = ["code", "workloadId", "sessionId", "operation", "node", "field", "status"];

const MaxDepth = 6;
const MaxArrayItems = 32;

/** `value` cut to `max` characters, with a marker saying how much was left out. */
export function truncateText(value: string, max: number): string {
  if (value.length <= max) return value;
  return `${value.slice(0, max)}…(+${value.length - max} chars)`;
}

/**
 * A message whose `": "`-separated parts repeat (as when an error's message already quotes its
 * cause, e.g. `MOVED 1 a:1: MOVED 1 a:1`) with every repeated part left out.
 */
export function withoutRepeats(message: string): string {
  const parts = message.split(": ");
  const kept: string[] = [];
  for (const part of parts) if (!kept.includes(part)) kept.push(part);
  return kept.join(": ");
}

/**
 * The text of a failure and its causes (up to 4 deep), a cause only when its text is not already
 * there: `fetch failed: connect ECONNREFUSED 127.0.0.1:5001`, `spawn ./missing ENOENT`.
 */
export function failureReason(error: unknown): string {
  let text = "";
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 4; depth++) {
    const message = current instanceof Error ? current.message : String(current);
    if (!text.includes(message)) text = text === "" ? message : `${text}: ${message}`;
    current = current instanceof Error ? current.cause : undefined;
  }
  return withoutRepeats(text);
}

/** Whether an error is one of the {@link ExpectedErrorCodes} or an HTTP parser error. */
export function isExpectedError(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && (ExpectedErrorCodes.has(code) || code.startsWith("HPE_"));
}

/**
 * A log-safe copy of `value` (the object given to one log call): strings cut at `maxChars`,
 * `Buffer`s and typed arrays replaced by their length, errors by {@link describeError}, nesting
 * cut at 6 levels and arrays at 32 items.
 */
export function sanitizeLogValue(value: unknown, maxChars: number, depth = 0): unknown {
  if (typeof value === "string") return truncateText(value, maxChars);
  if (typeof value !== "object" || value === null) return value;
  if (value instanceof Error) return describeError(value, maxChars);
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    return `[${value.byteLength} bytes not logged]`;
  }
  if (depth >= MaxDepth) return "[nested too deep]";
  if (Array.isArray(value)) {
    const items = value
      .slice(0, MaxArrayItems)
      .map((item) => sanitizeLogValue(item, maxChars, depth + 1));
    if (value.length > MaxArrayItems) items.push(`…(+${value.length - MaxArrayItems} items)`);
    return items;
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = sanitizeLogValue(item, maxChars, depth + 1);
  }
  return out;
}

/** The log record of an error; see {@link sanitizeLogValue}. */
export interface LoggedError {
  readonly type: string;
  readonly message: string;
  readonly code?: string | number;
  /** Only for unexpected errors (see {@link isExpectedError}). */
  readonly stack?: string;
  /** Only when the cause's message is not already part of `message`. */
  readonly cause?: LoggedError;
  readonly [field: string]: unknown;
}

/**
 * An error as a log record: its name, message (repeats removed, cut at `maxChars`), a few known
 * fields (`code`, `workloadId`, `sessionId`, `operation`, `node`, `field`, `status`), a stack for
 * unexpected errors only (cut at 4 × `maxChars`), and its cause when that adds text. Never other
 * properties: a parser error's `rawPacket` or a JWT error's `payload` stay out.
 */
export function describeError(error: Error, maxChars: number, depth = 0): LoggedError {
  const message = truncateText(withoutRepeats(error.message), maxChars);
  const record: Record<string, unknown> = { type: error.name, message };
  const fields = error as unknown as Record<string, unknown>;
  for (const field of ErrorFields) {
    const value = fields[field];
    if (typeof value === "string") record[field] = truncateText(value, maxChars);
    else if (typeof value === "number") record[field] = value;
  }
  if (!isExpectedError(error) && error.stack !== undefined) {
    record.stack = truncateText(error.stack, maxChars * 4);
  }
  const cause = error.cause;
  if (cause instanceof Error && depth < 3 && !error.message.includes(cause.message)) {
    record.cause = describeError(cause, maxChars, depth + 1);
  }
  return record as LoggedError;
}

function codeOf(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  return typeof error.code === "string" ? error.code : undefined;
}
