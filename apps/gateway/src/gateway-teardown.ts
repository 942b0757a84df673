import type {
  McpBackendConnector,
  SessionManager,
  SessionMessageBus,
  SessionStorage,
} from "@vmcp/session-core";
import type { RunningHttpServer } from "./http/endpoint/gateway-server.js";
import type { SessionRelay } from "./http/mcp-2025-11-25/relay/session-relay.js";
import type { GatewayLogger } from "./logger.js";
import type { StoreProbe } from "./store/store-probe.js";
import type { RunningTelemetry } from "./telemetry/start-telemetry.js";

/**
 * The one way a gateway stops, whether it shuts down or failed to start: `startGateway` records
 * each part here as it starts (the store and the bus only when the gateway made them), and
 * {@link run} stops the parts that started, in this order: the store's background ping, the
 * 2026-07-28 path (its listen streams, then its listens to backends), GET streams and the HTTP
 * server (requests in flight may finish within `shutdownTimeoutMs`), the session relay, the
 * sessions and the pooled backend sessions (their backend connections; the backend sessions live
 * on for other replicas), the stdio backend processes (waiting until they are gone), the server
 * events on the message bus, the message bus, the store, telemetry.
 * A step that fails is logged (`<step> failed`) and the rest still run.
 */
export class GatewayTeardown {
  /** The store's background ping after an unreachable start (see `probeStoreAtStart`). */
  probe?: StoreProbe | undefined;
  http?: RunningHttpServer | undefined;
  /** The MCP 2026-07-28 path: its listen streams, SSE responses and listens to backends. */
  modern?: { close(): Promise<void> } | undefined;
  relay?: SessionRelay | undefined;
  manager?: SessionManager | undefined;
  /** The pooled backend sessions of 2026-07-28 callers (their backend connections). */
  pool?: { close(): Promise<void> } | undefined;
  connector?: McpBackendConnector | undefined;
  /** The server events on the message bus (`openServerEvents`); closing them leaves the bus open. */
  serverEvents?: { close(): Promise<void> } | undefined;
  /** The message bus, when the gateway made it (a given one is left open for its owner). */
  bus?: SessionMessageBus | undefined;
  /** The store, when the gateway made it (a given one is left open for its owner). */
  storage?: SessionStorage | undefined;
  telemetry?: RunningTelemetry | undefined;
  readonly #log: GatewayLogger;
  readonly #shutdownTimeoutMs: number;

  /** @param shutdownTimeoutMs how long the HTTP server waits for requests in flight, ms. */
  constructor(log: GatewayLogger, shutdownTimeoutMs: number) {
    this.#log = log;
    this.#shutdownTimeoutMs = shutdownTimeoutMs;
  }

  /** Stops every part that started, in the order above. Never rejects. */
  async run(): Promise<void> {
    const {
      probe,
      http,
      modern,
      relay,
      manager,
      pool,
      connector,
      serverEvents,
      bus,
      storage,
      telemetry,
    } = this;
    probe?.stop();
    // Listen streams never finish on their own either: the 2026-07-28 handler ends them (with their
    // graceful result) before the drain, then the path closes its listens to backends.
    await this.#step("closing the 2026-07-28 path", () => modern?.close());
    if (http !== undefined) {
      // GET streams never finish on their own: end them so they do not hold the drain up.
      relay?.endStreams();
      await this.#step("stopping the HTTP server", () => http.close(this.#shutdownTimeoutMs));
    }
    await this.#step("closing the session relay", () => relay?.close());
    await this.#step("closing sessions", () => manager?.close());
    await this.#step("closing pooled backend sessions", () => pool?.close());
    // Stops the stdio processes nothing closed (connects that finished late) and waits.
    await this.#step("stopping the backend processes", () => connector?.close());
    await this.#step("closing the server events", () => serverEvents?.close());
    await this.#step("closing the message bus", () => bus?.close());
    await this.#step("closing the store", () => storage?.close());
    await this.#step("stopping telemetry", () => telemetry?.shutdown());
  }

  async #step(name: string, stop: () => Promise<void> | undefined): Promise<void> {
    try {
      await stop();
    } catch (error) {
      this.#log.error({ err: error }, `${name} failed`);
    }
  }
}
