import type { IncomingHttpHeaders } from "node:http";
import type { SessionOwner } from "@vmcp/session-core";

/**
 * The pluggable identity source of the gateway. The gateway calls `verify` once per HTTP
 * request to `/mcp`, before touching any session, with the bearer token from the
 * `Authorization` header (`undefined` when there is none) and the raw headers.
 *
 * Contract:
 * - resolve the caller's identity (a `SessionOwner` of session-core: issuer and subject, never a raw token) for a verified caller;
 * - resolve `undefined` for an anonymous caller, when anonymity is allowed (sessions then have
 *   no owner);
 * - throw `UnauthenticatedError` (HTTP 401) for a missing or bad credential;
 * - never throw for a well-formed but unknown token in any other way, and finish in bounded time.
 *
 * Sessions are bound to `{issuer, subject}`, so a refreshed token for the same identity keeps
 * working and another identity is refused with 403.
 */
export interface IdentityVerifier {
  /** A short name for logs, e.g. `static` or `jwt`. */
  readonly kind: string;
  /** Verifies the caller; see the interface's contract. */
  verify(
    bearerToken: string | undefined,
    headers: IncomingHttpHeaders,
  ): Promise<SessionOwner | undefined>;
}

/**
 * The bearer token in an `Authorization` header value, `undefined` when there is no header.
 * A header that is present but not `Bearer <token>` yields `""`, which verifiers refuse.
 */
export function bearerTokenOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
  return match?.[1] ?? "";
}
