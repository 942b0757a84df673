import type { DiscoverResult } from "@modelcontextprotocol/client";
import {
  type BackendConnectContext,
  BackendConnectError,
  type BackendConnection,
  type BackendConnector,
  type BackendMessageHandler,
  type BackendReattachHint,
  type BackendTarget,
  createNodeHttpFetch,
  type FetchFunction,
} from "@vmcp/session-core";
import type { BackendChangeFeed } from "../change-events/backend-change-feed.js";
import type { ResourceUpdateFeed } from "../change-events/resource-update-feed.js";
import { DefaultMaxInputRounds } from "./input-rounds.js";
import { StatelessConnection } from "./stateless-connection.js";

/** A backend's protocol era, as far as connecting it goes (the gateway's stored verdict fits). */
export type EraVerdict =
  | { readonly kind: "modern"; readonly discover: DiscoverResult }
  | { readonly kind: "legacy" };

/** Where the connector learns each HTTP backend's era (the gateway's `BackendVerdicts`). */
export interface BackendEras<V extends EraVerdict = EraVerdict> {
  /** The backend's verdict; `undefined` while unknown (its probe failed) or for no HTTP backend. */
  verdict(workloadId: string): V | undefined | Promise<V | undefined>;
  /** Replaces `failed` after a call with it failed for transport or era (a new probe). */
  reprobe(workloadId: string, failed: V): Promise<void>;
  /**
   * The era the backend is pinned to in configuration (`backends[].era`), `undefined` when it is
   * probed; default none pinned. A backend pinned to 2026-07-28 is never `initialize`d.
   */
  pinnedEra?(workloadId: string): "2025" | "2026-07-28" | undefined;
}

/** Options of {@link EraAwareConnector}. */
export interface EraAwareConnectorOptions<V extends EraVerdict> {
  /** The connector of 2025-era and stdio backends (the gateway's SDK v1 connector). */
  readonly inner: BackendConnector;
  readonly eras: BackendEras<V>;
  /** What modern backends send for the client (progress, logs, input requests): the session relay. */
  readonly messages?: BackendMessageHandler;
  /**
   * The log level a client session set (its stored record), sent in each request's envelope.
   * Default: the level set through each connection only (one replica's view).
   */
  readonly logLevelOf?: (sessionId: string) => Promise<string | undefined>;
  /**
   * The replica's feed of modern backends' list changes, relayed to each session that reaches the
   * backend (see `StatelessConnection`). Default: none (their changes reach no 2025-era session).
   */
  readonly changes?: Pick<BackendChangeFeed, "watch">;
  /**
   * The replica's feed of modern backends' resource updates, through which each session's
   * `resources/subscribe` to such a backend is followed (see `StatelessConnection`). Default:
   * none (no 2025-era session may subscribe a modern backend's resource).
   */
  readonly updates?: Pick<ResourceUpdateFeed, "follow">;
  /** Bound on each request to a modern backend, ms, reset by each progress notification. */
  readonly callTimeoutMs: number;
  /** `input_required` rounds served per call; default {@link DefaultMaxInputRounds}. */
  readonly maxInputRounds?: number;
  /** The fetch of modern backend requests; default one keep-alive `node:http` fetch of its own. */
  readonly fetch?: FetchFunction;
}

/**
 * The connector of 2025-era client sessions, each backend as its era asks:
 * - Streamable HTTP with a 2026-07-28 verdict: a {@link StatelessConnection}: no backend session,
 *   each request one stateless 2026-07-28 request carrying the client's envelope, `input_required`
 *   rounds answered by the client through the session's relay;
 * - stdio, Streamable HTTP with a 2025-era verdict, or one whose era is not known (its probe
 *   failed: `initialize` is tried, as before there were eras): the inner connector; but one pinned
 *   to 2026-07-28 whose `server/discover` answer is missing is refused (`BackendConnectError`
 *   naming the pin), so the session is made without it, as with a backend that is down.
 * A verdict read on connect holds for the connection; a stateless connection whose request fails
 * for transport or era has the backend probed again and throws `BackendUnavailableError`, so the
 * session's recovery connects it again as it now is.
 */
export class EraAwareConnector<V extends EraVerdict> implements BackendConnector {
  readonly #o: EraAwareConnectorOptions<V>;
  readonly #fetch: FetchFunction;

  constructor(options: EraAwareConnectorOptions<V>) {
    this.#o = options;
    this.#fetch = options.fetch ?? createNodeHttpFetch();
  }

  async connect(
    target: BackendTarget,
    hint: BackendReattachHint | undefined,
    signal: AbortSignal,
    context?: BackendConnectContext,
  ): Promise<BackendConnection> {
    const { transport, workloadId } = target;
    if (transport.kind !== "streamable-http") {
      return this.#o.inner.connect(target, hint, signal, context);
    }
    const verdict = await this.#o.eras.verdict(workloadId);
    if (verdict?.kind !== "modern") {
      if (this.#o.eras.pinnedEra?.(workloadId) === "2026-07-28") {
        throw new BackendConnectError(
          workloadId,
          "pinned to era 2026-07-28 (backends[].era) and its server/discover answer is missing: not initialized as a 2025-era backend",
        );
      }
      return this.#o.inner.connect(target, hint, signal, context);
    }
    return new StatelessConnection({
      backend: {
        workloadId,
        url: transport.url,
        ...(transport.headers === undefined ? {} : { headers: transport.headers }),
        discover: verdict.discover,
      },
      ...(context?.sessionId === undefined ? {} : { sessionId: context.sessionId }),
      ...(context?.clientCapabilities === undefined
        ? {}
        : { clientCapabilities: context.clientCapabilities }),
      ...(context?.clientInfo === undefined ? {} : { clientInfo: context.clientInfo }),
      ...(this.#o.messages === undefined ? {} : { messages: this.#o.messages }),
      ...(this.#o.changes === undefined ? {} : { changes: this.#o.changes }),
      ...(this.#o.updates === undefined ? {} : { updates: this.#o.updates }),
      ...(this.#logLevel(context?.sessionId) ?? {}),
      callTimeoutMs: this.#o.callTimeoutMs,
      maxInputRounds: this.#o.maxInputRounds ?? DefaultMaxInputRounds,
      fetch: this.#fetch,
      onEraOrTransportFailure: () => this.#o.eras.reprobe(workloadId, verdict),
    });
  }

  #logLevel(sessionId: string | undefined) {
    const of = this.#o.logLevelOf;
    if (of === undefined || sessionId === undefined) return undefined;
    return { logLevel: () => of(sessionId) };
  }
}
