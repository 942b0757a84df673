import type { DiscoverResult } from "@modelcontextprotocol/client";
import type { ManagedSession } from "@vmcp/session-core";
import { backendProtocolKey, readBackendIds } from "@vmcp/session-keys";
import { failureReason } from "../../../log-redaction.js";
import type { GatewayLogger } from "../../../logger.js";
import type { ModernBackend, ModernBackendSet } from "../backends/modern-backends.js";
import type { BackendVerdict } from "../backends/verdict-record.js";
import type { ConfiguredBackend } from "../modern-settings.js";
import type { EraLookup } from "./pool-connector.js";
import { PoolRevision } from "./pool-key.js";
import type { PoolRequests } from "./pool-requests.js";
import { type CallParking, PooledCall } from "./pooled-call.js";
import type { PooledMessages } from "./pooled-messages.js";

/** The protocol a reached 2025-era backend is shown with when its session recorded none. */
const LegacyRevision = "2025-11-25";

/** Options of {@link LegacyBackends}. */
export interface LegacyBackendsOptions {
  /** Every configured backend, HTTP and stdio. */
  readonly backends: readonly ConfiguredBackend[];
  /** The era verdict of each HTTP backend. */
  readonly era: EraLookup;
  /** The request scope holding each request's claim on its pooled backend session. */
  readonly requests: PoolRequests;
  /** Relays what pooled sessions' backends send to their callers. */
  readonly messages: PooledMessages;
  /**
   * Least time, ms, before a backend that could not be connected into a caller's pooled session
   * is tried again (for any caller on this replica); meanwhile it is left out.
   */
  readonly retryMs: number;
  /** Bound on the ping that proves a newly connected backend, ms. */
  readonly connectTimeoutMs: number;
  readonly log: GatewayLogger;
  /** The clock, ms; default `performance.now`. */
  readonly now?: () => number;
  /**
   * How calls park for their client's input (the replica's table and its times); without it a
   * backend's mid-call request is refused.
   */
  readonly parking?: Omit<CallParking, "hold">;
}

/** A backend a 2026-07-28 request reaches through its caller's pooled backend session. */
interface Candidate {
  readonly workloadId: string;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly verdict: BackendVerdict;
}

/**
 * Adds to a 2026-07-28 request's backend set the backends it reaches through its caller's pooled
 * backend session: the HTTP backends whose era verdict is 2025-era, and every stdio backend. Each
 * joins the set as the modern ones do (in workload ID order, so lists, names, routes and discover
 * treat them alike), with a {@link PooledCall} channel instead of a URL call, and with what its
 * `initialize` reported (capabilities, instructions) in place of a `server/discover` answer.
 *
 * A backend the caller's session holds no live backend session for (it was a 2026-07-28 backend
 * when the session was made, or it did not answer then) is connected first, through the session
 * (its recovery: `initialize`, the new backend session written back); one that cannot be is left
 * out of this request and of every other on this replica for `retryMs`. A backend the stored
 * session lists but this replica could not reattach is left to the session layer's own retry.
 * A caller whose pooled session cannot be had (the store is down) is served the modern backends
 * only, and the failure is logged once per `retryMs`.
 */
export class LegacyBackends {
  readonly #o: LegacyBackendsOptions;
  readonly #now: () => number;
  readonly #sorted: readonly ConfiguredBackend[];
  readonly #downUntil = new Map<string, number>();
  #quietUntil = 0;

  constructor(options: LegacyBackendsOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => performance.now());
    this.#sorted = [...options.backends].sort((a, b) =>
      a.workloadId < b.workloadId ? -1 : a.workloadId > b.workloadId ? 1 : 0,
    );
  }

  /** `base` with the backends the current request reaches through its pooled session. */
  async extend(base: ModernBackendSet): Promise<ModernBackendSet> {
    const request = this.#o.requests.current();
    if (request === undefined || !request.wanted) return base;
    const candidates = await this.#candidates();
    if (candidates.length === 0) return base;
    let session: ManagedSession;
    let viewKey: string;
    let hold: () => () => void;
    try {
      ({ session, viewKey, hold } = await request.session());
    } catch (error) {
      this.#notice(error);
      return base;
    }
    try {
      return await this.#extended(base, candidates, session, viewKey, hold);
    } finally {
      // A listen only needed what the backends declare: its session is let go now (an anonymous
      // caller's ends), not when its stream does.
      if (request.describeOnly) void request.release();
    }
  }

  /** `base` with the `candidates` that `session` reaches (connected first where needed). */
  async #extended(
    base: ModernBackendSet,
    candidates: readonly Candidate[],
    session: ManagedSession,
    viewKey: string,
    hold: () => () => void,
  ): Promise<ModernBackendSet> {
    const reached = (await Promise.all(candidates.map((c) => this.#ready(session, c)))).filter(
      (c): c is Candidate => c !== undefined,
    );
    if (reached.length === 0) return base;
    const metadata = session.getMetadata();
    const infos = new Map(session.backendInfo().map((i) => [i.workloadId, i]));
    const pooled: ModernBackend[] = reached.map((c) => {
      const info = infos.get(c.workloadId);
      const discover = {
        supportedVersions: [metadata[backendProtocolKey(c.workloadId)] ?? LegacyRevision],
        capabilities: info?.capabilities ?? {},
        serverInfo: { name: c.workloadId, version: "" },
        ...(info?.instructions === undefined ? {} : { instructions: info.instructions }),
      } as DiscoverResult;
      return {
        workloadId: c.workloadId,
        url: c.url,
        ...(c.headers === undefined ? {} : { headers: c.headers }),
        discover,
        verdict: c.verdict,
        pooled: new PooledCall(
          session,
          c.workloadId,
          this.#o.messages,
          this.#o.parking === undefined ? undefined : { ...this.#o.parking, hold },
          !c.url.startsWith("stdio:"),
        ),
      };
    });
    const backends = [...base.backends, ...pooled].sort((a, b) =>
      a.workloadId < b.workloadId ? -1 : a.workloadId > b.workloadId ? 1 : 0,
    );
    const ids = reached.map((c) => c.workloadId).join(",");
    return { backends, key: `${base.key}\npooled ${ids} for ${viewKey}` };
  }

  /** The configured backends reached through a pooled session now, in workload ID order. */
  async #candidates(): Promise<Candidate[]> {
    const found = await Promise.all(
      this.#sorted.map(async (b): Promise<Candidate | undefined> => {
        if (!("url" in b)) {
          return {
            workloadId: b.workloadId,
            url: `stdio:${b.command}`,
            verdict: { kind: "legacy", storedAt: 0 },
          };
        }
        const verdict = await this.#o.era(b.workloadId);
        if (verdict?.kind !== "legacy") return undefined;
        return {
          workloadId: b.workloadId,
          url: b.url,
          ...(b.headers === undefined ? {} : { headers: b.headers }),
          verdict,
        };
      }),
    );
    return found.filter((c): c is Candidate => c !== undefined);
  }

  /**
   * `candidate` when `session` holds a live 2025-era backend session for it, connecting it first
   * when the session has none or only a 2026-07-28 stand-in; `undefined` when it is left out.
   */
  async #ready(session: ManagedSession, candidate: Candidate): Promise<Candidate | undefined> {
    const { workloadId } = candidate;
    const metadata = session.getMetadata();
    const live = session.backendIds.includes(workloadId);
    if (live && metadata[backendProtocolKey(workloadId)] !== PoolRevision) return candidate;
    if (!live && listed(metadata).includes(workloadId)) return undefined;
    const downUntil = this.#downUntil.get(workloadId);
    if (downUntil !== undefined && this.#now() < downUntil) return undefined;
    try {
      // A request on a backend without a live backend session makes the session recover it.
      await session.request(workloadId, "ping", undefined, {
        signal: AbortSignal.timeout(this.#o.connectTimeoutMs),
      });
      this.#downUntil.delete(workloadId);
      return candidate;
    } catch (error) {
      this.#downUntil.set(workloadId, this.#now() + this.#o.retryMs);
      this.#o.log.warn(
        { workloadId, reason: failureReason(error) },
        "2025-era backend not connected for a 2026-07-28 caller: left out for now",
      );
      return undefined;
    }
  }

  #notice(error: unknown): void {
    const now = this.#now();
    if (now < this.#quietUntil) return;
    this.#quietUntil = now + this.#o.retryMs;
    this.#o.log.warn(
      { reason: failureReason(error) },
      "pooled backend session unavailable: 2025-era and stdio backends left out of 2026-07-28 requests for now",
    );
  }
}

function listed(metadata: Readonly<Record<string, string>>): string[] {
  try {
    return readBackendIds(metadata);
  } catch {
    return [];
  }
}
