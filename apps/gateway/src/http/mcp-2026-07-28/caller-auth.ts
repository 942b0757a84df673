import type { AuthInfo } from "@modelcontextprotocol/server";
import type { SessionOwner } from "@vmcp/session-core";

/** The `AuthInfo.extra` key under which the verified caller travels to the handlers. */
const OwnerKey = "vmcp.owner";

/**
 * The SDK `AuthInfo` the modern handler is given for a caller the gateway's identity verifier
 * accepted, so the server factory and every handler (`ctx.http.authInfo`) see who asks. No token
 * is passed on: `token` is empty, `clientId` is the subject, and the owner rides in `extra`.
 * `undefined` for an anonymous caller.
 */
export function authInfoOf(owner: SessionOwner | undefined): AuthInfo | undefined {
  if (owner === undefined) return undefined;
  return { token: "", clientId: owner.subject, scopes: [], extra: { [OwnerKey]: owner } };
}

/** The verified caller carried by {@link authInfoOf}'s result; `undefined` for an anonymous one. */
export function ownerOf(authInfo: AuthInfo | undefined): SessionOwner | undefined {
  const owner = authInfo?.extra?.[OwnerKey];
  if (typeof owner !== "object" || owner === null) return undefined;
  const { issuer, subject } = owner as Partial<SessionOwner>;
  return typeof issuer === "string" && typeof subject === "string"
    ? { issuer, subject }
    : undefined;
}

/**
 * A stable text naming the caller, for binding cursors: the JSON array of issuer and subject, or
 * `anonymous`.
 */
export function callerKey(owner: SessionOwner | undefined): string {
  return owner === undefined ? "anonymous" : JSON.stringify([owner.issuer, owner.subject]);
}
