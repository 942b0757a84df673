import { type Counter, type MeterProvider, metrics, type UpDownCounter } from "@opentelemetry/api";
import { GatewayTelemetryScope } from "./server-span.js";

/** The names of the parked-call instruments (see the README's telemetry section). */
export const ParkedInstrumentNames = {
  /** Up-down counter: 2025-era backend calls parked for client input on this replica now. */
  parked: "vmcp.calls.parked",
  /** Counter: parked calls lost before their client's retry resumed them, by `vmcp.loss.reason`. */
  lost: "vmcp.calls.parked.lost",
} as const;

/**
 * Why a parked call was lost (`vmcp.loss.reason`): `park_timeout`, no retry within
 * `parkTimeoutMs` (counted on the holder); `holder_gone`, a retry found no replica holding it
 * within the acknowledgement bound (counted on the retry's replica); `replica_closing`, its
 * holder closed with it parked.
 */
export type ParkedLossReason = "park_timeout" | "holder_gone" | "replica_closing";

/** The attribute naming a {@link ParkedLossReason}. */
export const LossReasonAttribute = "vmcp.loss.reason";

let cached: { provider: MeterProvider; parked: UpDownCounter; lost: Counter } | undefined;

/**
 * The parked-call instruments of the meter provider registered now (no-ops until the gateway
 * registers the SDK with `--metrics`).
 */
export function parkedInstruments(): { parked: UpDownCounter; lost: Counter } {
  const provider = metrics.getMeterProvider();
  if (cached?.provider !== provider) {
    const meter = provider.getMeter(GatewayTelemetryScope);
    cached = {
      provider,
      parked: meter.createUpDownCounter(ParkedInstrumentNames.parked, {
        description: "2025-era backend calls parked for their client's input on this replica.",
      }),
      lost: meter.createCounter(ParkedInstrumentNames.lost, {
        description: "Parked calls lost before their client's retry resumed them, by reason.",
      }),
    };
  }
  return cached;
}

/** Counts one parked call lost for `reason`. */
export function countParkedLoss(reason: ParkedLossReason): void {
  parkedInstruments().lost.add(1, { [LossReasonAttribute]: reason });
}
