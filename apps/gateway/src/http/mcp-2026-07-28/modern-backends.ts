import type { DiscoverResult } from "@modelcontextprotocol/client";
import type { GatewayLogger } from "../../logger.js";
import { isEraOrTransportFailure } from "./backend-failure.js";
import type { BackendVerdicts } from "./backend-verdicts.js";
import type { ConfiguredBackend } from "./modern-settings.js";
import type { BackendVerdict } from "./verdict-record.js";

type HttpBackendConfig = Extract<ConfiguredBackend, { url: string }>;

/** A backend a 2026-07-28 client reaches through the gateway: HTTP, with a modern verdict. */
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
  readonly log: GatewayLogger;
  /** Least time between two "not served" lines of one stdio backend, ms (the verdict TTL). */
  readonly noticeIntervalMs: number;
  /** The clock, ms; default `Date.now`. */
  readonly now?: () => number;
}

/**
 * Which configured backends 2026-07-28 clients reach: the HTTP backends whose verdict is modern.
 * A 2025-era backend (verdict `legacy`) and every stdio backend are left out of lists, discover
 * and routing until the gateway bridges the eras; each is named in one `info` line per backend
 * per verdict TTL (the legacy line by `BackendVerdicts`, the stdio line here).
 */
export class ModernBackends {
  readonly #o: ModernBackendsOptions;
  readonly #now: () => number;
  readonly #http: readonly HttpBackendConfig[];
  readonly #stdio: readonly string[];
  readonly #noticed = new Map<string, number>();
  #last: ModernBackendSet = { backends: [], key: "" };

  constructor(options: ModernBackendsOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    const sorted = [...options.backends].sort((a, b) =>
      a.workloadId < b.workloadId ? -1 : a.workloadId > b.workloadId ? 1 : 0,
    );
    this.#http = sorted.filter((b): b is HttpBackendConfig => "url" in b);
    this.#stdio = sorted.filter((b) => !("url" in b)).map((b) => b.workloadId);
  }

  /** The current set (probing or reading the store for verdicts that are due). */
  async current(): Promise<ModernBackendSet> {
    this.#noticeStdio();
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

  #noticeStdio(): void {
    if (this.#stdio.length === 0) return;
    const now = this.#now();
    for (const workloadId of this.#stdio) {
      const last = this.#noticed.get(workloadId);
      if (last !== undefined && now - last < this.#o.noticeIntervalMs) continue;
      this.#noticed.set(workloadId, now);
      this.#o.log.info(
        { workloadId, transport: "stdio" },
        "stdio backend: not served to 2026-07-28 clients",
      );
    }
  }
}
