import { AsyncLocalStorage } from "node:async_hooks";
import {
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  PROTOCOL_VERSION_META_KEY,
} from "@modelcontextprotocol/server";
import type { ClientInfoRecord, SessionOwner } from "@vmcp/session-core";
import { PoolRevision } from "./pool-key.js";
import type { PooledLease, PooledSessions } from "./pooled-sessions.js";

/**
 * The 2026-07-28 methods served from the backends (and so, for 2025-era ones, through a pooled
 * backend session): `server/discover` (their capabilities), `subscriptions/listen` (the list
 * changes it may follow are those the backends declare, 2025-era ones included, as discover
 * says; its session is let go once the backend set is made, see `RequestLease.describeOnly`),
 * the lists and the routed calls. Tasks take no pooled session.
 */
const PooledMethods: ReadonlySet<string> = new Set([
  "server/discover",
  "subscriptions/listen",
  "tools/list",
  "tools/call",
  "prompts/list",
  "prompts/get",
  "resources/list",
  "resources/templates/list",
  "resources/read",
  "completion/complete",
]);

/**
 * One 2026-07-28 request's claim on its caller's pooled backend session: taken the first time the
 * request needs it ({@link session}), let go when the request's response has ended.
 */
export class RequestLease {
  /** Whether the request's method is served from the backends. */
  readonly wanted: boolean;
  /**
   * Whether the request needs its pooled session only to learn what the backends declare (a
   * `subscriptions/listen`, open long after): it is let go once the backend set is made.
   */
  readonly describeOnly: boolean;
  readonly #pool: PooledSessions;
  readonly #owner: SessionOwner | undefined;
  readonly #client: ClientInfoRecord;
  #lease: Promise<PooledLease> | undefined;
  #released = false;

  constructor(pool: PooledSessions, owner: SessionOwner | undefined, body: unknown) {
    this.#pool = pool;
    this.#owner = owner;
    const message = isObject(body) ? body : {};
    this.wanted = typeof message.method === "string" && PooledMethods.has(message.method);
    this.describeOnly = message.method === "subscriptions/listen";
    this.#client = clientOf(message.params);
  }

  /** The caller's pooled backend session (acquired once per request). */
  session(): Promise<PooledLease> {
    this.#lease ??= this.#pool.acquire(this.#owner, this.#client);
    return this.#lease;
  }

  /** Lets go of the session, if one was acquired (once; later calls do nothing). Never rejects. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    const lease = await this.#lease?.catch(() => undefined);
    await lease?.release();
  }
}

/**
 * The request scope of pooled backend sessions: each 2026-07-28 request is served inside its own
 * {@link RequestLease} (an `AsyncLocalStorage`, so the SDK's per-request server factory and its
 * handlers find it), released once its response has ended.
 */
export class PoolRequests {
  readonly #scope = new AsyncLocalStorage<RequestLease>();
  readonly #pool: PooledSessions;

  constructor(pool: PooledSessions) {
    this.#pool = pool;
  }

  /** Serves one request (`serve`, to the end of its response) inside a lease of its own. */
  readonly around = async (
    owner: SessionOwner | undefined,
    body: unknown,
    serve: () => Promise<void>,
  ): Promise<void> => {
    const lease = new RequestLease(this.#pool, owner, body);
    try {
      await this.#scope.run(lease, serve);
    } finally {
      await lease.release();
    }
  };

  /** The lease of the request this runs for, if any. */
  current(): RequestLease | undefined {
    return this.#scope.getStore();
  }
}

/**
 * What the caller's envelope declares, as a pooled session stores it: its protocol revision, its
 * client capabilities (an object, else none) and its client info (name and version, else
 * `unknown`).
 */
function clientOf(params: unknown): ClientInfoRecord {
  const meta = isObject(params) && isObject(params._meta) ? params._meta : {};
  const version = meta[PROTOCOL_VERSION_META_KEY];
  const capabilities = meta[CLIENT_CAPABILITIES_META_KEY];
  const info = isObject(meta[CLIENT_INFO_META_KEY]) ? meta[CLIENT_INFO_META_KEY] : {};
  return {
    protocolVersion: typeof version === "string" && version !== "" ? version : PoolRevision,
    capabilities: isObject(capabilities) ? capabilities : {},
    clientInfo: {
      name: typeof info.name === "string" ? info.name : "unknown",
      version: typeof info.version === "string" ? info.version : "",
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
