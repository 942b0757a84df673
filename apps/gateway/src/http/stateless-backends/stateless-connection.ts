import {
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  LOG_LEVEL_META_KEY,
  SdkError,
  SdkErrorCode,
} from "@modelcontextprotocol/client";
import type {
  CallToolResult,
  ClientCapabilities,
  GetPromptResult,
  Implementation,
  Prompt,
  ReadResourceResult,
  Resource,
  Tool,
} from "@modelcontextprotocol/sdk/types.js";
import {
  type BackendConnection,
  type BackendMessageHandler,
  type BackendRequestOptions,
  BackendUnavailableError,
  type FetchFunction,
} from "@vmcp/session-core";
import { errorCodeOf } from "../../error-codes.js";
import { failureReason } from "../../log-redaction.js";
import type { BackendChangeFeed } from "../change-events/backend-change-feed.js";
import type { ResourceUpdateFeed } from "../change-events/resource-update-feed.js";
import { isEraOrTransportFailure } from "./backend-failure.js";
import { BackendCallTimeoutError } from "./input-errors.js";
import { fulfilInputRequests } from "./input-fulfilment.js";
import { runInputRounds } from "./input-rounds.js";
import {
  callStatelessBackend,
  type RelayedRequest,
  type StatelessBackend,
} from "./stateless-call.js";
import {
  ResourceSubscriptionLimitError,
  SubscriptionNotServedError,
} from "./subscription-errors.js";

/** The revision a stateless connection speaks with its backend. */
export const StatelessRevision = "2026-07-28";

/** What a {@link StatelessConnection} is made of. */
export interface StatelessConnectionOptions {
  readonly backend: StatelessBackend;
  /** The client session it belongs to; `undefined`: none (its backend's messages then go nowhere). */
  readonly sessionId?: string;
  /** The capabilities the client declared at `initialize` (each request's envelope carries them). */
  readonly clientCapabilities?: ClientCapabilities;
  /** The client's name and version (each request's envelope carries them). */
  readonly clientInfo?: Implementation;
  /**
   * The log level the client set on its session, wherever it set it (the session's stored
   * record: a replica that held the session before the level was set learns it here); its
   * failure counts as none. Default: the level set through this connection only.
   */
  readonly logLevel?: () => Promise<string | undefined>;
  /** Where the backend's progress, log messages and input requests go: the session's relay. */
  readonly messages?: BackendMessageHandler;
  /**
   * The replica's feed of modern backends' list changes: while the connection is open, each
   * change of its backend reaches the session as the backend's `list_changed` notification
   * (through `messages`, as a 2025-era backend's does), and the connection declares the
   * backend's `listChanged`. Default: none (no change reaches the session, none is declared).
   */
  readonly changes?: Pick<BackendChangeFeed, "watch">;
  /**
   * The replica's feed of modern backends' resource updates: when given (with `messages` and
   * `sessionId`) and the backend declares `resources.subscribe`, the connection declares it too
   * and serves `resources/subscribe` and `resources/unsubscribe` by following the URI through the
   * feed (the replica's one listen on the backend), each update reaching the session as the
   * backend's `notifications/resources/updated`. Default: none (no subscription is served).
   */
  readonly updates?: Pick<ResourceUpdateFeed, "follow">;
  /** Bound on each request to the backend, ms, reset by each progress notification. */
  readonly callTimeoutMs: number;
  /** `input_required` rounds served per call. */
  readonly maxInputRounds: number;
  /** The fetch of the backend transport (one keep-alive `node:http` fetch). */
  readonly fetch?: FetchFunction;
  /**
   * Called (and awaited) when a request failed for transport or era (see
   * `isEraOrTransportFailure`), before the connection throws `BackendUnavailableError`: the
   * backend's era is probed again, so the session's recovery connects it as it now is.
   */
  readonly onEraOrTransportFailure?: (error: unknown) => Promise<void>;
}

/** No caller signal: a request that is never aborted from outside. */
const NeverAborted = new AbortController().signal;

/** Longest pagination walk the list methods follow. */
const MaxPages = 1_000;

/**
 * A 2026-07-28 backend's place in a 2025-era client session: it holds no backend session (the
 * metadata records an empty backend session ID and protocol `2026-07-28`; the ID list still names
 * it), and serves every request as one stateless request with an SDK v2 client
 * (`callStatelessBackend`), whose envelope carries the client's capabilities and info (from the
 * session's stored client info) and the log level the client set:
 * - `logging/setLevel` is answered here (the revision has no such request); the level the client
 *   set (read from its session's record by `logLevel`, so any replica knows it) goes in each
 *   request's envelope;
 * - progress (under the client's own token) and log messages reach the client through the
 *   session's message handler, as a 2025-era backend's do;
 * - an `input_required` answer is served round by round (`runInputRounds`): each input request
 *   becomes a real server-to-client request on the client's session (`fulfilInputRequests`),
 *   answered from any replica, and the backend is retried with the answers and its state;
 * - a transport or era failure is `BackendUnavailableError` (after `onEraOrTransportFailure`),
 *   so the session's recovery connects the backend again (a 2025-era backend then gets
 *   `initialize`); a request without an answer in time is `BackendCallTimeoutError` (-32004, not
 *   sent again); the backend's own JSON-RPC errors pass through.
 * - with `changes` (the replica's `BackendChangeFeed`, fed by its one `subscriptions/listen` on
 *   the backend), each list change of the backend reaches the session as the backend's
 *   `list_changed`, through the session's message handler (the relay: the session's lists are
 *   refreshed and its GET stream told, on whichever replica it is open), until {@link close}.
 * - with `updates` (the replica's `ResourceUpdateFeed`), `resources/subscribe` follows the URI
 *   through the replica's one listen on the backend (refcounted with the 2026-07-28 listen
 *   streams' URIs, under `modern.maxResourceSubscriptions`: past it, `ResourceSubscriptionLimitError`)
 *   and each update reaches the session as the backend's `notifications/resources/updated`
 *   (through the relay, to its GET stream on whichever replica it is open), until
 *   `resources/unsubscribe` or {@link close}.
 * Its capabilities are the backend's `server/discover` ones, with `resources.subscribe` only when
 * `updates` is given (and the backend declares it), and `listChanged` only when `changes` is.
 */
export class StatelessConnection implements BackendConnection {
  readonly workloadId: string;
  readonly sessionId = "";
  readonly protocolVersion = StatelessRevision;
  readonly capabilities: BackendConnection["capabilities"];
  readonly instructions: string | undefined;
  readonly #o: StatelessConnectionOptions;
  /** The log level the client set (`logging/setLevel`); sent in each request's envelope. */
  #logLevel: string | undefined;
  /** Stops relaying the backend's list changes (set while they are relayed). */
  #unwatch: (() => void) | undefined;
  /** Subscribed URI to the release of its follow (or the follow in progress). */
  readonly #followed = new Map<string, Promise<(() => void) | undefined>>();
  #closed = false;

  constructor(options: StatelessConnectionOptions) {
    this.#o = options;
    this.workloadId = options.backend.workloadId;
    const relayed = options.changes !== undefined && options.messages !== undefined;
    const session = options.messages !== undefined && options.sessionId !== undefined;
    this.capabilities = withoutChangeNotifications(
      options.backend.discover.capabilities,
      relayed && options.sessionId !== undefined,
      options.updates !== undefined && session,
    );
    this.instructions = options.backend.discover.instructions;
    const { changes, messages, sessionId } = options;
    if (changes !== undefined && messages !== undefined && sessionId !== undefined) {
      const origin = { sessionId, workloadId: this.workloadId };
      this.#unwatch = changes.watch(this.workloadId, (list) =>
        messages.notification(origin, { method: `notifications/${list}/list_changed` }),
      );
    }
  }

  async request(
    method: string,
    params: Record<string, unknown> | undefined,
    options: BackendRequestOptions = {},
  ): Promise<Record<string, unknown>> {
    if (method === "logging/setLevel") {
      const level = params?.level;
      if (typeof level === "string") this.#logLevel = level;
      return {};
    }
    if (method === "ping") return {};
    if (method === "resources/subscribe" || method === "resources/unsubscribe") {
      const uri = params?.uri;
      if (typeof uri !== "string" || this.capabilities?.resources?.subscribe !== true) {
        throw new SubscriptionNotServedError(this.workloadId, method);
      }
      if (method === "resources/subscribe") await this.#subscribe(uri);
      else await this.#unsubscribe(uri);
      return {};
    }
    const signal = options.signal ?? NeverAborted;
    const { _meta, ...body } = params ?? {};
    const stored = await this.#o.logLevel?.().catch(() => undefined);
    const relayed = this.#relayed(_meta, stored ?? this.#logLevel, signal);
    try {
      const result = await runInputRounds({
        workloadId: this.workloadId,
        method,
        params: body,
        maxRounds: this.#o.maxInputRounds,
        send: (sent) => callStatelessBackend(this.#o.backend, method, sent, relayed),
        fulfil: (round) =>
          fulfilInputRequests(round, {
            origin: { sessionId: this.#o.sessionId ?? "", workloadId: this.workloadId },
            capabilities: this.#o.clientCapabilities,
            messages: this.#o.messages ?? NoRelay,
            signal,
          }),
      });
      const { resultType: _, ...complete } = result;
      return complete;
    } catch (error) {
      throw await this.#failure(error, signal);
    }
  }

  async notify(): Promise<void> {
    // A stateless backend has no session to tell anything: roots travel with each input request.
  }

  listTools(options?: BackendRequestOptions): Promise<Tool[]> {
    return this.#allPages("tools/list", "tools", options) as Promise<Tool[]>;
  }

  async callTool(
    name: string,
    args: Record<string, unknown> | undefined,
    options?: BackendRequestOptions,
  ): Promise<CallToolResult> {
    const params = args === undefined ? { name } : { name, arguments: args };
    return (await this.request("tools/call", params, options)) as CallToolResult;
  }

  listResources(options?: BackendRequestOptions): Promise<Resource[]> {
    return this.#allPages("resources/list", "resources", options) as Promise<Resource[]>;
  }

  async readResource(uri: string, options?: BackendRequestOptions): Promise<ReadResourceResult> {
    return (await this.request("resources/read", { uri }, options)) as ReadResourceResult;
  }

  listPrompts(options?: BackendRequestOptions): Promise<Prompt[]> {
    return this.#allPages("prompts/list", "prompts", options) as Promise<Prompt[]>;
  }

  async getPrompt(
    name: string,
    args?: Record<string, string>,
    options?: BackendRequestOptions,
  ): Promise<GetPromptResult> {
    const params = args === undefined ? { name } : { name, arguments: args };
    return (await this.request("prompts/get", params, options)) as GetPromptResult;
  }

  /** Resource URIs this connection follows now (subscribed, and not yet unsubscribed). */
  get subscriptions(): readonly string[] {
    return [...this.#followed.keys()];
  }

  async close(): Promise<void> {
    // Each request's client is closed when it is answered: only the change watch and the
    // followed resources are held.
    this.#closed = true;
    this.#unwatch?.();
    this.#unwatch = undefined;
    const followed = [...this.#followed.values()];
    this.#followed.clear();
    for (const release of await Promise.all(followed)) release?.();
  }

  /**
   * Follows `uri` through the feed, once however often it is subscribed.
   * @throws {ResourceSubscriptionLimitError} when the replica follows its bound of URIs.
   */
  async #subscribe(uri: string): Promise<void> {
    const known = this.#followed.get(uri);
    if (known !== undefined) {
      if ((await known) !== undefined) return;
      throw new ResourceSubscriptionLimitError(this.workloadId, uri);
    }
    const { updates, messages, sessionId } = this.#o;
    if (updates === undefined || messages === undefined || sessionId === undefined) return;
    const origin = { sessionId, workloadId: this.workloadId };
    const following = updates
      .follow(this.workloadId, uri, () =>
        messages.notification(origin, {
          method: "notifications/resources/updated",
          params: { uri },
        }),
      )
      .then((followed) => (followed.kind === "followed" ? followed.release : undefined));
    this.#followed.set(uri, following);
    const release = await following;
    if (release === undefined || this.#closed || this.#followed.get(uri) !== following) {
      // Refused, or closed or unsubscribed meanwhile: nothing stays followed.
      if (this.#followed.get(uri) === following) this.#followed.delete(uri);
      release?.();
      if (release === undefined) throw new ResourceSubscriptionLimitError(this.workloadId, uri);
    }
  }

  /** Stops following `uri` (nothing when it is not followed). */
  async #unsubscribe(uri: string): Promise<void> {
    const following = this.#followed.get(uri);
    if (following === undefined) return;
    this.#followed.delete(uri);
    (await following)?.();
  }

  async terminate(): Promise<void> {
    // No backend session to end.
    await this.close();
  }

  /** The relayed request of one call: the client's envelope, progress and logs to its session. */
  #relayed(meta: unknown, level: string | undefined, signal: AbortSignal): RelayedRequest {
    const { progressToken, ...rest } =
      typeof meta === "object" && meta !== null ? (meta as Record<string, unknown>) : {};
    const envelope: Record<string, unknown> = {
      ...rest,
      [CLIENT_CAPABILITIES_META_KEY]: this.#o.clientCapabilities ?? {},
      ...(this.#o.clientInfo === undefined ? {} : { [CLIENT_INFO_META_KEY]: this.#o.clientInfo }),
      ...(level === undefined ? {} : { [LOG_LEVEL_META_KEY]: level }),
    };
    const token =
      typeof progressToken === "string" || typeof progressToken === "number"
        ? progressToken
        : undefined;
    const { messages, sessionId } = this.#o;
    return {
      meta: {
        meta: envelope,
        ...(token === undefined ? {} : { progressToken: token }),
        logs: level !== undefined,
      },
      signal,
      notify: async (notification) => {
        if (messages === undefined || sessionId === undefined) return;
        const params = notification.params as Record<string, unknown> | undefined;
        messages.notification(
          { sessionId, workloadId: this.workloadId },
          params === undefined
            ? { method: notification.method }
            : { method: notification.method, params },
        );
      },
      timeoutMs: this.#o.callTimeoutMs,
      ...(this.#o.fetch === undefined ? {} : { fetch: this.#o.fetch }),
    };
  }

  /** The error a failed request throws (see the class's description). */
  async #failure(error: unknown, signal: AbortSignal): Promise<unknown> {
    if (signal.aborted || errorCodeOf(error) !== undefined) return error;
    if (error instanceof SdkError && error.code === SdkErrorCode.RequestTimeout) {
      return new BackendCallTimeoutError(this.workloadId, this.#o.callTimeoutMs, { cause: error });
    }
    if (!isEraOrTransportFailure(error, signal)) return error;
    await this.#o.onEraOrTransportFailure?.(error).catch(() => undefined);
    return new BackendUnavailableError(this.workloadId, failureReason(error), { cause: error });
  }

  async #allPages(
    method: string,
    field: string,
    options: BackendRequestOptions | undefined,
  ): Promise<unknown[]> {
    const items: unknown[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MaxPages; page++) {
      const result = await this.request(method, cursor === undefined ? {} : { cursor }, options);
      const list = result[field];
      if (Array.isArray(list)) items.push(...list);
      const next = result.nextCursor;
      if (typeof next !== "string" || next === "") break;
      cursor = next;
    }
    return items;
  }
}

/** A relay for a connection without a session: every input request fails as unanswerable. */
const NoRelay: BackendMessageHandler = {
  notification: () => undefined,
  request: () =>
    Promise.reject(
      Object.assign(new Error("the connection belongs to no client session"), { code: -32603 }),
    ),
};

/**
 * `capabilities` without what a 2025-era session of this backend cannot serve: `resources.subscribe`
 * unless `subscribe` (its updates are relayed), and `listChanged` unless `listChanged` (the
 * backend's list changes are relayed).
 */
function withoutChangeNotifications(
  capabilities: unknown,
  listChanged: boolean,
  subscribe: boolean,
): BackendConnection["capabilities"] {
  if (typeof capabilities !== "object" || capabilities === null) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(capabilities)) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      out[key] = value;
      continue;
    }
    const { listChanged: declared, subscribe: offered, ...rest } = value as Record<string, unknown>;
    const kept = {
      ...rest,
      ...(listChanged && declared === true ? { listChanged: true } : {}),
      ...(subscribe && key === "resources" && offered === true ? { subscribe: true } : {}),
    };
    out[key] = key === "tools" || key === "prompts" || key === "resources" ? kept : value;
  }
  return out as BackendConnection["capabilities"];
}
