import type { ManagedSession, SessionManager } from "@vmcp/session-core";

/**
 * What the HTTP front end needs from the session layer: session-core's `SessionManager`, narrowed
 * to the calls the front end makes. Backend recovery (re-initialise on 404, drop a backend that
 * is gone for good) happens inside the `ManagedSession`s it hands out.
 */
export type SessionService = Pick<SessionManager, "create" | "get" | "terminate">;

/** One client session as the HTTP front end serves it. */
export type ServedSession = ManagedSession;
