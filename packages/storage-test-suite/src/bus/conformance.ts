import { DefaultBusTimeoutMs } from "@vmcp/session-core/storage";
import { type CaseGroup, describeSuite } from "../shared/suite.js";
import type { TestApi } from "../shared/test-api.js";
import { deliveryCases } from "./cases/delivery.js";
import { faultCases } from "./cases/faults.js";
import { lifecycleCases } from "./cases/lifecycle.js";
import { orderCases } from "./cases/order.js";
import { unsubscribeCases } from "./cases/unsubscribe.js";
import { validationCases } from "./cases/validation.js";
import { BusFixtureHolder } from "./context.js";
import type { BusConformanceOptions } from "./test-api.js";

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
  const { maxMessageBytes } = options;
  if (!Number.isSafeInteger(maxMessageBytes) || maxMessageBytes < 4) {
    throw new RangeError(
      `maxMessageBytes must be an integer of at least 4, got ${maxMessageBytes}`,
    );
  }
  const groups: CaseGroup<BusFixtureHolder>[] = [
    ["delivery", (t, ctx) => deliveryCases(t, ctx, maxMessageBytes)],
    ["order", orderCases],
    ["unsubscribe", unsubscribeCases],
    ["validation", (t, ctx) => validationCases(t, ctx, maxMessageBytes)],
    ["lifecycle", lifecycleCases],
  ];
  if (options.faults === true) {
    groups.push([
      "faults",
      (t, ctx) => faultCases(t, ctx, options.timeoutMs ?? DefaultBusTimeoutMs),
    ]);
  }
  describeSuite(
    t,
    `${options.name} conforms to SessionMessageBus`,
    options.setup,
    new BusFixtureHolder(),
    groups,
  );
}
