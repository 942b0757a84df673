import type { SessionStorage } from "@vmcp/session-core";
import { failureReason } from "../../../log-redaction.js";
import type { GatewayLogger } from "../../../logger.js";
import { type EraProbe, probeEra } from "./era-probe.js";
import {
  type BackendVerdict,
  decodeVerdict,
  encodeVerdict,
  type VerdictTarget,
  verdictRecordId,
} from "./verdict-record.js";

/** A configured HTTP backend whose era the gateway needs. */
export interface HttpBackend extends VerdictTarget {
  readonly workloadId: string;
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
  /** The probe; default {@link probeEra}. */
  readonly probe?: EraProbe;
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
 */
export class BackendVerdicts {
  readonly #o: BackendVerdictsOptions;
  readonly #now: () => number;
  readonly #probe: EraProbe;
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
    for (const backend of options.backends) {
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

  /** The store record ID of a backend's verdict (for operators and tests). */
  recordIdOf(workloadId: string): string | undefined {
    return this.#targets.get(workloadId)?.recordId;
  }

  /**
   * The backend's verdict, or `undefined` while it cannot be probed (unreachable, a 401/403, a
   * timeout) or for a workload ID that is no configured HTTP backend.
   */
  verdict(workloadId: string): BackendVerdict | undefined | Promise<BackendVerdict | undefined> {
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
   * Nothing happens when this replica already holds a newer verdict.
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
    const stored = await this.#load(target);
    if (stored !== undefined && (failed === undefined || stored.storedAt > failed.storedAt)) {
      return this.#use(target.workloadId, stored);
    }
    let verdict: BackendVerdict;
    try {
      verdict = await this.#probe(target, this.#o.probeTimeoutMs);
    } catch (error) {
      this.#known.delete(target.workloadId);
      this.#retryAt.set(target.workloadId, this.#now() + this.#o.probeRetryMs);
      this.#version++;
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
