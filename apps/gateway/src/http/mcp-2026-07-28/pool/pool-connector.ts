import {
  type BackendConnectContext,
  BackendConnectError,
  type BackendConnection,
  type BackendConnector,
  type BackendReattachHint,
  type BackendTarget,
} from "@vmcp/session-core";
import type { BackendVerdict } from "../backends/verdict-record.js";
import { PoolRevision } from "./pool-key.js";
import { StandInConnection } from "./stand-in-connection.js";

/** A backend's era verdict by workload ID (`BackendVerdicts.verdict`): `undefined` while unknown. */
export type EraLookup = (
  workloadId: string,
) => BackendVerdict | undefined | Promise<BackendVerdict | undefined>;

/**
 * The connector of pooled backend sessions: each backend as its era asks.
 * - stdio, or Streamable HTTP with a 2025-era verdict: the gateway's own connector (`initialize`,
 *   or a reattach with the stored hint), declaring the caller's client capabilities, its stdio
 *   processes tracked and stopped with the gateway's;
 * - Streamable HTTP with a 2026-07-28 verdict: a {@link StandInConnection}, no backend session
 *   (the stateless relay reaches it), recorded with its protocol and capabilities;
 * - Streamable HTTP whose era is not known (its probe failed): refused with
 *   `BackendConnectError`, so the session is made without it, as with a backend that is down.
 */
export class PoolConnector implements BackendConnector {
  readonly #inner: BackendConnector;
  readonly #era: EraLookup;

  /**
   * @param inner the gateway's connector (the same keep-alive agents and stdio process table as
   *   the 2025 path).
   * @param era the verdict of each HTTP backend.
   */
  constructor(inner: BackendConnector, era: EraLookup) {
    this.#inner = inner;
    this.#era = era;
  }

  async connect(
    target: BackendTarget,
    hint: BackendReattachHint | undefined,
    signal: AbortSignal,
    context?: BackendConnectContext,
  ): Promise<BackendConnection> {
    if (target.transport.kind === "stdio") {
      return this.#inner.connect(target, hint, signal, context);
    }
    const verdict = await this.#era(target.workloadId);
    if (verdict === undefined) {
      throw new BackendConnectError(target.workloadId, "its protocol era is not known yet");
    }
    if (verdict.kind === "modern") {
      const { discover } = verdict;
      return new StandInConnection(
        target.workloadId,
        PoolRevision,
        discover.capabilities as BackendConnection["capabilities"],
        discover.instructions,
      );
    }
    return this.#inner.connect(target, hint, signal, context);
  }
}
