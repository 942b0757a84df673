import { randomBytes } from "node:crypto";
import { InvalidSessionIdError } from "./errors.js";

/** The longest session ID accepted, in characters. */
export const MaxSessionIdLength = 256;

/** Random bytes in a generated session ID: 192 bits from the OS's secure random source. */
export const SessionIdEntropyBytes = 24;

/**
 * A new session ID: {@link SessionIdEntropyBytes} bytes from `crypto.randomBytes`, base64url
 * encoded (32 characters, all visible ASCII as the MCP spec requires for `Mcp-Session-Id`).
 */
export function generateSessionId(): string {
  return randomBytes(SessionIdEntropyBytes).toString("base64url");
}

/**
 * Explains why `id` is not a valid session ID, or returns `undefined` when it is: a string of 1
 * to {@link MaxSessionIdLength} characters, each visible ASCII (0x21 to 0x7E).
 */
export function sessionIdProblem(id: unknown): string | undefined {
  if (typeof id !== "string") return "it is not a string";
  if (id.length === 0) return "it is empty";
  if (id.length > MaxSessionIdLength) return `it is longer than ${MaxSessionIdLength} characters`;
  // A loop, not a regular expression: this runs on every storage call, and the loop is faster.
  for (let i = 0; i < id.length; i++) {
    const code = id.charCodeAt(i);
    if (code < 0x21 || code > 0x7e) {
      return `it holds a character outside visible ASCII (0x21 to 0x7E) at index ${i}`;
    }
  }
  return undefined;
}

/** Whether `id` is a valid session ID (see {@link sessionIdProblem}). */
export function isValidSessionId(id: unknown): id is string {
  return sessionIdProblem(id) === undefined;
}

/**
 * Returns `id` when it is a valid session ID.
 * @throws {InvalidSessionIdError} naming the ID and the reason, otherwise.
 */
export function assertValidSessionId(id: unknown): string {
  const problem = sessionIdProblem(id);
  if (problem !== undefined) throw new InvalidSessionIdError(id, problem);
  return id as string;
}
