import type { SessionStorage } from "@vmcp/session-core";
import type { GatewayConfigError } from "../errors.js";
import { failureReason } from "../log-redaction.js";
import type { GatewayLogger } from "../logger.js";

/** Default pause between two pings of a store that was unreachable at startup, ms: 1,000. */
export const DefaultStoreProbeIntervalMs = 1_000;

/** Options of {@link probeStoreAtStart}. */
export interface StoreProbeOptions {
  readonly log: GatewayLogger;
  /** The store as logs name it, without passwords (`describeStore`). */
  readonly label: string;
  /**
   * The configuration error to stop with when a ping's error is the store refusing this
   * configuration for good (a Redis database index the server lacks), else `undefined`.
   */
  readonly refusal: (error: unknown) => Promise<GatewayConfigError | undefined>;
  /** Pause between pings while the store is unreachable, ms; default {@link DefaultStoreProbeIntervalMs}. */
  readonly intervalMs?: number;
}

/** A probe that goes on in the background while the store is unreachable. */
export interface StoreProbe {
  /** Stops pinging (at shutdown). Idempotent. */
  stop(): void;
}

/**
 * Pings the store once before the gateway listens (bounded by the store's own bound: 1,500 ms
 * for Redis). Reachable: nothing is logged. Unreachable: one `warn` line (`/readyz` answers 503
 * until it is reachable), then a ping every `intervalMs` in the background until one succeeds,
 * logged at `info`; the gateway starts anyway, so it serves as soon as the store is back.
 * @throws {GatewayConfigError} from `refusal` when the store refuses the configuration, so the
 *   gateway does not start.
 */
export async function probeStoreAtStart(
  storage: SessionStorage,
  options: StoreProbeOptions,
): Promise<StoreProbe> {
  const { log, label } = options;
  try {
    await storage.ping();
    return { stop: () => undefined };
  } catch (error) {
    const refused = await options.refusal(error);
    if (refused !== undefined) throw refused;
    log.warn(
      { store: label, reason: failureReason(error) },
      "session store unreachable at startup: /readyz answers 503 until it is reachable",
    );
  }
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const again = (): void => {
    timer = setTimeout(() => {
      storage.ping().then(
        () => {
          if (!stopped) log.info({ store: label }, "session store reachable");
        },
        async (error: unknown) => {
          if (stopped) return;
          if ((await options.refusal(error)) !== undefined) {
            log.error(
              { store: label, reason: failureReason(error) },
              "session store refuses the configuration",
            );
            return;
          }
          again();
        },
      );
    }, options.intervalMs ?? DefaultStoreProbeIntervalMs);
    timer.unref();
  };
  again();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
