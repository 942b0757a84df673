import type { DiscoverResult } from "@modelcontextprotocol/client";
import { isEraOrTransportFailure } from "../../stateless-backends/backend-failure.js";
import type { ConfiguredBackend } from "../modern-settings.js";
import type { BackendVerdicts } from "./backend-verdicts.js";
import type { PooledChannel } from "./pooled-channel.js";
import type { BackendVerdict } from "./verdict-record.js";

type HttpBackendConfig = Extract<ConfiguredBackend, { url: string }>;

/**
 * A backend a 2026-07-28 client reaches through the gateway: HTTP with a modern verdict, relayed
 * statelessly; or, with `pooled`, a 2025-era or stdio backend reached through the caller's pooled
 * backend session (see `pool/legacy-backends.ts`).
 */
export interface ModernBackend {
  readonly workloadId: string;
  /** Its Streamable HTTP endpoint. */
  readonly url: string;
  /** The headers the gateway sends it, as configured. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Its `server/discover` answer (capabilities, instructions, versions). */
  readonly discover: DiscoverResult;
  /** The verdict it came from (handed back to {@link ModernBackends.failed}). */
  readonly verdict: BackendVerdict;
  /**
   * Set for a 2025-era or stdio backend: its calls go through the caller's pooled backend
   * session; `discover` then holds what its `initialize` reported, and `url` is `stdio:<command>`
   * for a stdio backend.
   */
  readonly pooled?: PooledChannel;
}

/** The backends a 2026-07-28 request is served from, and a key that changes when they do. */
export interface ModernBackendSet {
  /** In workload ID order. */
  readonly backends: readonly ModernBackend[];
  /** Names this exact set (workload IDs and verdict dates): route tables are rebuilt when it changes. */
  readonly key: string;
}

/** Options of {@link ModernBackends}. */
export interface ModernBackendsOptions {
  /** Every configured backend, HTTP and stdio. */
  readonly backends: readonly ConfiguredBackend[];
  readonly verdicts: BackendVerdicts;
}

/**
 * Which configured backends 2026-07-28 clients reach statelessly: the HTTP backends whose verdict
 * is modern. A 2025-era backend (verdict `legacy`) and every stdio backend are reached through
 * the caller's pooled backend session instead (`pool/legacy-backends.ts` adds them to the set).
 */
export class ModernBackends {
  readonly #o: ModernBackendsOptions;
  readonly #http: readonly HttpBackendConfig[];
  #last: ModernBackendSet = { backends: [], key: "" };

  constructor(options: ModernBackendsOptions) {
    this.#o = options;
    const sorted = [...options.backends].sort((a, b) =>
      a.workloadId < b.workloadId ? -1 : a.workloadId > b.workloadId ? 1 : 0,
    );
    this.#http = sorted.filter((b): b is HttpBackendConfig => "url" in b);
  }

  /** The current set (probing or reading the store for verdicts that are due). */
  async current(): Promise<ModernBackendSet> {
    const verdicts = await Promise.all(
      this.#http.map((b) => this.#o.verdicts.verdict(b.workloadId)),
    );
    const backends: ModernBackend[] = [];
    let key = "";
    this.#http.forEach((b, i) => {
      const verdict = verdicts[i];
      if (verdict?.kind !== "modern") return;
      backends.push({
        workloadId: b.workloadId,
        url: b.url,
        ...(b.headers === undefined ? {} : { headers: b.headers }),
        discover: verdict.discover,
        verdict,
      });
      key += `${b.workloadId}@${verdict.storedAt}\n`;
    });
    if (key !== this.#last.key) this.#last = { backends, key };
    return this.#last;
  }

  /**
   * Reports a relayed call to `backend` that failed: a transport or era failure (see
   * `isEraOrTransportFailure`) replaces its verdict before the next request uses it. Never throws.
   */
  async failed(backend: ModernBackend, error: unknown, signal?: AbortSignal): Promise<void> {
    if (!isEraOrTransportFailure(error, signal)) return;
    await this.#o.verdicts.reprobe(backend.workloadId, backend.verdict).catch(() => undefined);
  }
}
