import type { SessionStorage } from "@vmcp/session-core";
import { failureReason } from "../../../log-redaction.js";
import type { GatewayLogger } from "../../../logger.js";
import { type EraProbe, probeEra } from "./era-probe.js";
import { discoverPinned, type PinnedDiscover } from "./pinned-discover.js";
import {
  type BackendVerdict,
  decodeVerdict,
  encodeVerdict,
  type VerdictTarget,
  verdictRecordId,
} from "./verdict-record.js";

/**
 * How the gateway learns an HTTP backend's era: `auto` probes it (the verdict shared through the
 * store), `2025` and `2026-07-28` are configured pins (never probed, no verdict record).
 */
export type BackendEraSetting = "auto" | "2025" | "2026-07-28";

/** A configured HTTP backend whose era the gateway needs. */
export interface HttpBackend extends VerdictTarget {
  readonly workloadId: string;
  /** Its era setting; default `auto`. */
  readonly era?: BackendEraSetting;
}

/** Options of {@link BackendVerdicts}. */
export interface BackendVerdictsOptions {
  /** The configured store: verdict records live there, shared by every replica. */
  readonly storage: Pick<SessionStorage, "load" | "create" | "update">;
  readonly backends: readonly HttpBackend[];
  /** Life of a verdict, ms (its record's `expiresAt`, and the age past which it is not used). */
  readonly ttlMs: number;
  /** Least time between two probes of a backend that did not answer one, per replica, ms. */
  readonly probeRetryMs: number;
  /** Bound on one probe, ms. */
  readonly probeTimeoutMs: number;
  /** Keys the record IDs (the binding secret); default a fixed key (see `verdictRecordId`). */
  readonly secret?: string | Uint8Array;
  readonly log: GatewayLogger;
  /** The probe of `auto` backends; default {@link probeEra}. */
  readonly probe?: EraProbe;
  /** The `server/discover` call of backends pinned to 2026-07-28; default {@link discoverPinned}. */
  readonly discoverPinned?: PinnedDiscover;
  /** The clock, epoch ms; default `Date.now`. */
  readonly now?: () => number;
}

interface Known {
  readonly verdict: BackendVerdict;
  /** When this replica stops using it, epoch ms. */
  readonly until: number;
}

/**
 * Every configured HTTP backend's protocol era, shared by the replicas through the store: a
 * record per backend origin and authorization context (see `verdictRecordId`) holding the verdict
 * under `vmcp.backend.era`, created if absent (else updated) with an `expiresAt` of `ttlMs`. A
 * replica keeps what it read until the verdict's age passes `ttlMs`, then reads the store again;
 * only when the store holds no fresh verdict does it probe (one probe at a time per backend and
 * replica). A backend that cannot be probed counts as unreachable, and is asked again at most once
 * per `probeRetryMs`, in the background (requests meanwhile are served without it). After a relayed call fails with a transport or era error, {@link reprobe}
 * replaces the verdict at once, so a stale one cannot stick. A store that fails is no outage
 * here: the replica probes and keeps the verdict locally.
 *
 * A backend pinned in configuration is never probed and has no record: `2025` is a legacy
 * verdict from the start, which a failed call never replaces; `2026-07-28` is modern, its
 * `server/discover` answer asked with the era pinned (see `discoverPinned`), kept on this replica
 * for `ttlMs`, and asked again after a failed call: a backend that does not answer it is left out
 * (asked again per `probeRetryMs`, as above), never counted as 2025-era.
 */
export class BackendVerdicts {
  readonly #o: BackendVerdictsOptions;
  readonly #now: () => number;
  readonly #probe: EraProbe;
  readonly #discoverPinned: PinnedDiscover;
  /** The verdict of every backend pinned to `2025`, by workload ID: never replaced. */
  readonly #pinnedLegacy = new Map<string, BackendVerdict>();
  readonly #targets = new Map<string, HttpBackend & { readonly recordId: string }>();
  readonly #known = new Map<string, Known>();
  readonly #retryAt = new Map<string, number>();
  readonly #pending = new Map<string, Promise<BackendVerdict | undefined>>();
  /** Bumped whenever a verdict this replica uses changes. */
  #version = 0;

  constructor(options: BackendVerdictsOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#probe = options.probe ?? probeEra;
    this.#discoverPinned = options.discoverPinned ?? discoverPinned;
    for (const backend of options.backends) {
      if (backend.era === "2025") {
        this.#pinnedLegacy.set(backend.workloadId, { kind: "legacy", storedAt: this.#now() });
        options.log.info(
          { workloadId: backend.workloadId, era: "2025" },
          "backend pinned to 2025-era MCP: never probed; 2026-07-28 clients reach it through pooled backend sessions",
        );
        continue;
      }
      this.#targets.set(backend.workloadId, {
        ...backend,
        recordId: verdictRecordId(backend, options.secret),
      });
    }
  }

  /** Increases whenever a verdict this replica uses changes (a cheap staleness check for caches). */
  get version(): number {
    return this.#version;
  }

  /** The store record ID of a backend's verdict (for operators and tests); none for a pinned one. */
  recordIdOf(workloadId: string): string | undefined {
    const target = this.#targets.get(workloadId);
    return target === undefined || target.era === "2026-07-28" ? undefined : target.recordId;
  }

  /** The era a backend is pinned to in configuration, or `undefined` (probed, or no HTTP backend). */
  pinnedEra(workloadId: string): "2025" | "2026-07-28" | undefined {
    if (this.#pinnedLegacy.has(workloadId)) return "2025";
    return this.#targets.get(workloadId)?.era === "2026-07-28" ? "2026-07-28" : undefined;
  }

  /**
   * The backend's verdict, or `undefined` while it cannot be probed (unreachable, a 401/403, a
   * timeout) or for a workload ID that is no configured HTTP backend.
   */
  verdict(workloadId: string): BackendVerdict | undefined | Promise<BackendVerdict | undefined> {
    const pinned = this.#pinnedLegacy.get(workloadId);
    if (pinned !== undefined) return pinned;
    const known = this.#known.get(workloadId);
    if (known !== undefined && this.#now() < known.until) return known.verdict;
    const retryAt = this.#retryAt.get(workloadId);
    if (retryAt === undefined) return this.#resolve(workloadId, undefined);
    // A backend whose last probe failed is asked again in the background, so no request waits
    // on a backend that may not answer for the whole probe bound.
    if (this.#now() >= retryAt) void this.#resolve(workloadId, undefined);
    return undefined;
  }

  /**
   * Replaces the verdict `failed` after a call with it failed with a transport or era error: the
   * store's, if another replica already replaced it, else a new probe (written to the store).
   * Nothing happens when this replica already holds a newer verdict, nor for a backend pinned to
   * `2025`; one pinned to `2026-07-28` is asked for `server/discover` again (never probed).
   */
  async reprobe(workloadId: string, failed: BackendVerdict): Promise<void> {
    const known = this.#known.get(workloadId);
    if (known !== undefined && known.verdict !== failed) return;
    this.#retryAt.delete(workloadId);
    await this.#resolve(workloadId, failed);
  }

  #resolve(workloadId: string, failed: BackendVerdict | undefined) {
    const target = this.#targets.get(workloadId);
    if (target === undefined) return undefined;
    let pending = this.#pending.get(workloadId);
    if (pending === undefined) {
      pending = this.#fetch(target, failed).finally(() => this.#pending.delete(workloadId));
      this.#pending.set(workloadId, pending);
    }
    return pending;
  }

  async #fetch(
    target: HttpBackend & { readonly recordId: string },
    failed: BackendVerdict | undefined,
  ): Promise<BackendVerdict | undefined> {
    if (target.era === "2026-07-28") return this.#discover(target);
    const stored = await this.#load(target);
    if (stored !== undefined && (failed === undefined || stored.storedAt > failed.storedAt)) {
      return this.#use(target.workloadId, stored);
    }
    let verdict: BackendVerdict;
    try {
      verdict = await this.#probe(target, this.#o.probeTimeoutMs);
    } catch (error) {
      this.#unreachable(target.workloadId);
      this.#o.log.warn(
        { workloadId: target.workloadId, reason: failureReason(error) },
        "backend era probe failed: not served to 2026-07-28 clients for now",
      );
      return undefined;
    }
    verdict = { ...verdict, storedAt: this.#now() };
    await this.#store(target, verdict);
    return this.#use(target.workloadId, verdict);
  }

  /** A pinned 2026-07-28 backend's `server/discover` answer, kept on this replica only. */
  async #discover(target: HttpBackend): Promise<BackendVerdict | undefined> {
    try {
      const verdict = await this.#discoverPinned(target, this.#o.probeTimeoutMs);
      return this.#use(target.workloadId, { ...verdict, storedAt: this.#now() });
    } catch (error) {
      this.#unreachable(target.workloadId);
      this.#o.log.warn(
        { workloadId: target.workloadId, era: "2026-07-28", reason: failureReason(error) },
        "backend pinned to 2026-07-28 did not answer server/discover: left out for now, never counted as 2025-era",
      );
      return undefined;
    }
  }

  #unreachable(workloadId: string): void {
    this.#known.delete(workloadId);
    this.#retryAt.set(workloadId, this.#now() + this.#o.probeRetryMs);
    this.#version++;
  }

  /** The fresh verdict the store holds for `target`, if any; a store failure reads as none. */
  async #load(target: { readonly recordId: string; readonly workloadId: string }) {
    try {
      const record = await this.#o.storage.load(target.recordId);
      const verdict = record === undefined ? undefined : decodeVerdict(record.metadata);
      return verdict !== undefined && this.#fresh(verdict) ? verdict : undefined;
    } catch (error) {
      this.#o.log.warn(
        { workloadId: target.workloadId, reason: failureReason(error) },
        "backend era verdict not read from the store: probing",
      );
      return undefined;
    }
  }

  async #store(target: HttpBackend & { readonly recordId: string }, verdict: BackendVerdict) {
    const metadata = encodeVerdict(verdict);
    const expiresAt = verdict.storedAt + this.#o.ttlMs;
    try {
      // Create-if-absent; an existing (stale or other) record is updated in place. An update that
      // finds nothing (expired meanwhile) creates once more.
      if (await this.#o.storage.create({ id: target.recordId, metadata, expiresAt })) return;
      if (await this.#o.storage.update(target.recordId, { set: metadata, expiresAt })) return;
      await this.#o.storage.create({ id: target.recordId, metadata, expiresAt });
    } catch (error) {
      this.#o.log.warn(
        { workloadId: target.workloadId, reason: failureReason(error) },
        "backend era verdict not written to the store: kept on this replica",
      );
    }
  }

  #use(workloadId: string, verdict: BackendVerdict): BackendVerdict {
    this.#known.set(workloadId, { verdict, until: verdict.storedAt + this.#o.ttlMs });
    this.#retryAt.delete(workloadId);
    this.#version++;
    if (verdict.kind === "legacy") {
      this.#o.log.info(
        { workloadId, era: "2025-11-25" },
        "backend speaks 2025-era MCP only: 2026-07-28 clients reach it through pooled backend sessions",
      );
    }
    return verdict;
  }

  #fresh(verdict: BackendVerdict): boolean {
    // A verdict dated slightly ahead (another replica's clock) counts as fresh.
    return this.#now() - verdict.storedAt < this.#o.ttlMs;
  }
}
