import type {
  BusMessageHandler,
  BusSubscription,
  SessionMessageBus,
} from "../storage/session-message-bus.js";
import { context, SpanKind, trace } from "./otel-api.js";
import { errorType, failSpan, sessionInstruments, sessionTracer } from "./telemetry.js";

/** Marks a bus already wrapped, so wrapping twice counts each message once. */
const Instrumented: unique symbol = Symbol("vmcp.instrumentedBus");

/**
 * Wraps any `SessionMessageBus` so it is observed in one place, whatever its kind: `publish` runs
 * in a PRODUCER span `vmcp.bus.publish` (`mcp.session.id`) and counts
 * `vmcp.bus.messages.published`; each message handed to a subscription here counts
 * `vmcp.bus.messages.delivered`; a `publish` or `subscribe` that throws counts `vmcp.bus.errors`
 * (by `vmcp.bus.operation` and `error.type`) and rethrows. Messages pass unchanged; `close`
 * passes through. Wrapping an already wrapped bus returns it unchanged.
 */
export function instrumentBus(bus: SessionMessageBus): SessionMessageBus {
  if ((bus as { [Instrumented]?: true })[Instrumented] === true) return bus;
  return new InstrumentedBus(bus);
}

class InstrumentedBus implements SessionMessageBus {
  readonly [Instrumented] = true as const;
  readonly #inner: SessionMessageBus;

  constructor(inner: SessionMessageBus) {
    this.#inner = inner;
  }

  async publish(sessionId: string, message: string): Promise<void> {
    const parent = context.active();
    const span = sessionTracer().startSpan(
      "vmcp.bus.publish",
      { kind: SpanKind.PRODUCER, attributes: { "mcp.session.id": sessionId } },
      parent,
    );
    const instruments = sessionInstruments();
    try {
      await context.with(trace.setSpan(parent, span), () =>
        this.#inner.publish(sessionId, message),
      );
      instruments.busPublished.add(1);
    } catch (error) {
      const type = errorType(error);
      failSpan(span, error, type);
      instruments.busErrors.add(1, { "vmcp.bus.operation": "publish", "error.type": type });
      throw error;
    } finally {
      span.end();
    }
  }

  async subscribe(sessionId: string, onMessage: BusMessageHandler): Promise<BusSubscription> {
    const instruments = sessionInstruments();
    try {
      return await this.#inner.subscribe(sessionId, (message) => {
        instruments.busDelivered.add(1);
        onMessage(message);
      });
    } catch (error) {
      instruments.busErrors.add(1, {
        "vmcp.bus.operation": "subscribe",
        "error.type": errorType(error),
      });
      throw error;
    }
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
