import { DefaultBusTimeoutMs } from "@vmcp/session-core/storage";
import { busLifecycleCases } from "./bus-cases/bus-lifecycle.js";
import { deliveryCases } from "./bus-cases/delivery.js";
import { faultCases } from "./bus-cases/faults.js";
import { orderCases } from "./bus-cases/order.js";
import { unsubscribeCases } from "./bus-cases/unsubscribe.js";
import { busValidationCases } from "./bus-cases/validation.js";
import { BusFixtureHolder } from "./bus-context.js";
import type { BusConformanceOptions } from "./bus-test-api.js";
import type { TestApi } from "./test-api.js";

/**
 * Declares the `SessionMessageBus` conformance suite with the runner functions you pass in: one
 * group named `options.name` holding a sub-group per topic (delivery, order, unsubscribe,
 * validation, lifecycle, and, when `options.faults` is `true`, faults). Each test gets a fresh
 * bus from `options.setup` and closes every bus it opened afterwards. A bus without a server
 * declares no faults: those cases are then not declared at all (never run, never counted).
 *
 * @example
 * import { afterEach, beforeEach, describe, it } from "vitest";
 * describeSessionMessageBusConformance({ describe, it, beforeEach, afterEach }, {
 *   name: "InProcessMessageBus",
 *   maxMessageBytes: 4096,
 *   setup: async () => ({ bus: new InProcessMessageBus({ maxMessageBytes: 4096 }) }),
 * });
 */
export function describeSessionMessageBusConformance(
  t: TestApi,
  options: BusConformanceOptions,
): void {
  const holder = new BusFixtureHolder();
  const { maxMessageBytes } = options;
  if (!Number.isSafeInteger(maxMessageBytes) || maxMessageBytes < 4) {
    throw new RangeError(
      `maxMessageBytes must be an integer of at least 4, got ${maxMessageBytes}`,
    );
  }
  t.describe(`${options.name} conforms to SessionMessageBus`, () => {
    t.beforeEach(async () => {
      holder.use(await options.setup());
    });
    t.afterEach(async () => {
      await holder.release();
    });
    const groups: Array<[string, (t: TestApi, ctx: BusFixtureHolder) => void]> = [
      ["delivery", (t, ctx) => deliveryCases(t, ctx, maxMessageBytes)],
      ["order", orderCases],
      ["unsubscribe", unsubscribeCases],
      ["validation", (t, ctx) => busValidationCases(t, ctx, maxMessageBytes)],
      ["lifecycle", busLifecycleCases],
    ];
    if (options.faults === true) {
      groups.push([
        "faults",
        (t, ctx) => faultCases(t, ctx, options.timeoutMs ?? DefaultBusTimeoutMs),
      ]);
    }
    for (const [name, register] of groups) t.describe(name, () => register(t, holder));
  });
}
