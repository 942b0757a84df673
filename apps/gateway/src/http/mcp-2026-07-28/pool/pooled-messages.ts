import { AsyncLocalStorage } from "node:async_hooks";
import type { Notification, ServerEvent } from "@modelcontextprotocol/server";
import type {
  BackendMessage,
  BackendMessageHandler,
  BackendMessageOrigin,
} from "@vmcp/session-core";
import { VmcpSessionError } from "@vmcp/session-keys";
import { ErrorCode } from "../../../error-codes.js";
import { rpcErrorOf } from "../../../json-rpc/error-mapping.js";
import { ChangeNotifications, eventOf } from "../listen/listen-filter.js";
import { PooledSessionPrefix } from "./pool-key.js";

/**
 * A 2025-era backend's server-to-client request (sampling, elicitation, roots...) met while it
 * served a 2026-07-28 client through a pooled backend session: not relayed yet, so the backend
 * gets this as its JSON-RPC error (-32601, `data.code` `VMCP_UNSUPPORTED_REQUEST`).
 */
export class ServerRequestNotRelayedError extends VmcpSessionError {
  readonly code = ErrorCode.UnsupportedRequest;
  constructor(method: string) {
    super(
      `${method} is not relayed to 2026-07-28 clients by this gateway yet: the client holds no session to be asked on`,
    );
  }
}

/** One relayed call through a pooled backend session, as its backend's messages reach it. */
export interface PooledCallScope {
  /** The pooled backend session and backend the call went to. */
  readonly sessionId: string;
  readonly workloadId: string;
  /** Whether the caller set a log level: the backend's log messages reach it. */
  readonly logs: boolean;
  /** Sends a notification on the caller's response (its SSE stream). */
  readonly notify: (notification: Notification) => Promise<void>;
  /** The caller's progress token; absent when it asked for none. */
  readonly callerToken?: string | number;
  /** Told of each progress notification (the call's timeout starts again). */
  readonly onProgress?: () => void;
  /**
   * Takes the backend's server-to-client requests made during the call (a parkable call: they
   * become the caller's `input_required` round); absent: they are refused.
   */
  readonly input?: (
    message: BackendMessage,
    signal: AbortSignal,
  ) => Promise<Record<string, unknown>>;
}

/**
 * What backends send on their own while they serve pooled backend sessions, to the 2026-07-28
 * caller whose call it belongs to:
 * - progress by the gateway's own progress token (each relayed call gets a fresh one, since two
 *   callers sharing a pooled session may use the same token), under the caller's token;
 * - a log message (`notifications/message`) by the call whose asynchronous context it arrives in
 *   (exact over Streamable HTTP; over stdio, the oldest call in flight), only when the caller set
 *   a log level;
 * - a server-to-client request goes to the call whose asynchronous context it arrives in when
 *   that call takes them (`input`: a parkable call, which makes it an `input_required` round);
 *   otherwise it is refused ({@link ServerRequestNotRelayedError});
 * - a change notification (`list_changed`, a resource update) is a fact about its backend, not
 *   about a call: it goes, as a listen event, to `onChange` (the replica's `CoalescedChanges`,
 *   which publishes it to every replica's `subscriptions/listen` streams; {@link changeSeen});
 * - anything else is dropped.
 */
export class PooledMessages implements BackendMessageHandler {
  readonly #calls = new AsyncLocalStorage<PooledCallScope>();
  readonly #onChange: ((workloadId: string, event: ServerEvent) => void) | undefined;
  readonly #byToken = new Map<string, PooledCallScope>();
  #next = 0;

  /**
   * @param onChange told of each change notification of a pooled session's backend, as a listen
   *   event (default: dropped).
   */
  constructor(onChange?: (workloadId: string, event: ServerEvent) => void) {
    this.#onChange = onChange;
  }

  /** Whether the messages of session `sessionId` are this handler's (a pooled backend session's). */
  owns(sessionId: string): boolean {
    return sessionId.startsWith(PooledSessionPrefix);
  }

  /**
   * Runs one relayed call as `scope`: its backend's messages reach the caller. Resolves the
   * gateway progress token to send the backend (when the caller asked for progress) and the call.
   */
  async run<T>(
    scope: PooledCallScope,
    call: (token: string | undefined) => Promise<T>,
  ): Promise<T> {
    if (scope.callerToken === undefined) return this.#calls.run(scope, () => call(undefined));
    const token = `vmcp-pool-${++this.#next}`;
    const key = `${scope.sessionId}\n${token}`;
    this.#byToken.set(key, scope);
    try {
      return await this.#calls.run(scope, () => call(token));
    } finally {
      this.#byToken.delete(key);
    }
  }

  /**
   * Hands a 2025-era backend's change notification (`list_changed`, a resource update with its
   * URI) to `onChange` as a listen event; resolves whether `message` is one (handed on or not).
   */
  changeSeen(workloadId: string, message: BackendMessage): boolean {
    if (!(message.method in ChangeNotifications)) return false;
    const event = eventOf(
      message.method as keyof typeof ChangeNotifications,
      message.params as Record<string, unknown> | undefined,
    );
    if (event !== undefined) this.#onChange?.(workloadId, event);
    return true;
  }

  notification(origin: BackendMessageOrigin, message: BackendMessage): void {
    if (message.method === "notifications/progress") {
      const token = message.params?.progressToken;
      const scope = this.#byToken.get(`${origin.sessionId}\n${String(token)}`);
      if (scope === undefined || scope.callerToken === undefined) return;
      scope.onProgress?.();
      void scope
        .notify({
          method: "notifications/progress",
          params: { ...message.params, progressToken: scope.callerToken },
        } as Notification)
        .catch(() => undefined);
      return;
    }
    if (this.changeSeen(origin.workloadId, message)) return;
    if (message.method !== "notifications/message") return;
    const scope = this.#calls.getStore();
    if (
      scope === undefined ||
      !scope.logs ||
      scope.sessionId !== origin.sessionId ||
      scope.workloadId !== origin.workloadId
    ) {
      return;
    }
    void scope
      .notify({ method: message.method, params: message.params ?? {} } as Notification)
      .catch(() => undefined);
  }

  request(
    origin: BackendMessageOrigin,
    message: BackendMessage,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
    const scope = this.#calls.getStore();
    const taken =
      scope?.input !== undefined &&
      scope.sessionId === origin.sessionId &&
      scope.workloadId === origin.workloadId
        ? scope.input(message, signal)
        : Promise.reject(new ServerRequestNotRelayedError(message.method));
    // The backend gets a JSON-RPC error: the SDK sends `code`, `message` and `data` on.
    return taken.catch((error: unknown) => {
      const { body } = rpcErrorOf(error);
      throw Object.assign(new Error(body.message), { code: body.code, data: body.data });
    });
  }
}

/**
 * Whether a backend a 2025-era client session holds a connection to is a 2025-era (or stdio)
 * one, whose changes only that connection hears; `false` for a 2026-07-28 backend, whose changes
 * every replica hears on its own listen (and which reach the session from there).
 */
export type SessionBackendIsLegacy = (workloadId: string) => boolean | Promise<boolean>;

/**
 * One {@link BackendMessageHandler} for the gateway's connector: what a pooled backend session's
 * backends send goes to `pooled`, everything else (the 2025 client sessions') to `sessions`.
 * With `legacy`, a 2025-era backend's change notification on a 2025 client session also goes,
 * as a listen event, to `pooled.changeSeen` (a change is a fact about the backend, whoever's
 * session heard it): 2026-07-28 listen streams hear it too.
 */
export function dispatchBackendMessages(
  pooled: PooledMessages,
  sessions: BackendMessageHandler,
  legacy?: SessionBackendIsLegacy,
): BackendMessageHandler {
  const pick = (origin: BackendMessageOrigin) =>
    pooled.owns(origin.sessionId) ? pooled : sessions;
  return {
    notification: (origin, message) => {
      if (pooled.owns(origin.sessionId)) {
        pooled.notification(origin, message);
        return;
      }
      sessions.notification(origin, message);
      if (legacy === undefined || !(message.method in ChangeNotifications)) return;
      void Promise.resolve()
        .then(() => legacy(origin.workloadId))
        .then(
          (isLegacy) => isLegacy && pooled.changeSeen(origin.workloadId, message),
          () => undefined,
        );
    },
    request: (origin, message, signal) => pick(origin).request(origin, message, signal),
  };
}
