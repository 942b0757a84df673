import type { SessionMessageBus } from "@vmcp/session-core";
import { describe, expect, it } from "vitest";
import {
  DoublingBus,
  FaultyServerBus,
  HangingBus,
  LingeringBus,
  NeverClosingBus,
  ReferenceBus,
  ReorderingBus,
  StoringBus,
  SynchronousBus,
  TestMaxMessageBytes,
  UnboundedBus,
} from "./reference-bus.js";
import { runBusSuite } from "./run-bus-suite.js";

const run = (make: () => SessionMessageBus) =>
  runBusSuite({ maxMessageBytes: TestMaxMessageBytes, setup: async () => ({ bus: make() }) });

const group = (name: string) => `bus conforms to SessionMessageBus > ${name}`;

describe("the bus conformance suite", { concurrent: true, timeout: 60_000 }, () => {
  it("passes a correct bus on every one of its behaviours, and declares no fault case unless asked", async () => {
    const result = await run(() => new ReferenceBus());
    expect(result.failed).toEqual([]);
    expect(result.tests.length).toBeGreaterThanOrEqual(15);
    expect(new Set(result.tests).size).toBe(result.tests.length);
    expect(result.tests.filter((name) => name.includes("> faults >"))).toEqual([]);
  });

  it("fails its fault cases, never skips them, when faults are declared and the fixture has no controls", async () => {
    const result = await runBusSuite({
      maxMessageBytes: TestMaxMessageBytes,
      faults: true,
      setup: async () => ({ bus: new ReferenceBus() }),
    });
    const faultCases = result.tests.filter((name) => name.includes("> faults >"));
    expect(faultCases.length).toBe(2);
    expect(result.failed).toEqual(faultCases);
  });

  /** Runs the suite with fault cases on a bus whose "server" the fixture controls. */
  const runWithFaults = (make: () => FaultyServerBus, forgets: boolean) =>
    runBusSuite({
      maxMessageBytes: TestMaxMessageBytes,
      faults: true,
      timeoutMs: 100,
      setup: async () => {
        const bus = make();
        return {
          bus,
          faults: {
            dropConnections: async () => {
              if (forgets) bus.forgetSubscriptions();
            },
            makeUnreachable: async () => {
              bus.down = true;
            },
            restore: async () => {
              bus.down = false;
            },
          },
        };
      },
    });
  const faultCase = (start: string) => (name: string) =>
    name.startsWith(group(`faults > ${start}`));

  it("passes a bus that keeps its subscriptions and fails typed while its server is down", async () => {
    const result = await runWithFaults(() => new FaultyServerBus(), false);
    expect(result.tests.filter(faultCase("")).length).toBe(2);
    expect(result.failed).toEqual([]);
  });

  it("fails a bus that loses its subscriptions with its connection, on the reconnect case", async () => {
    const result = await runWithFaults(() => new FaultyServerBus(), true);
    expect(result.failed.filter(faultCase("after its connections are cut")).length).toBe(1);
  });

  it("fails a bus whose calls hang while its server is down, on the unreachable case, without hanging", async () => {
    const result = await runWithFaults(() => new HangingBus(), false);
    expect(result.failed.filter(faultCase("with the server unreachable")).length).toBe(1);
  });

  it.each([
    [
      "a bus that calls handlers inside publish",
      () => new SynchronousBus(),
      [
        group(
          "delivery > publish to a session nobody listens to resolves, and publish resolves before any handler runs",
        ),
      ],
    ],
    [
      "a bus that delivers after unsubscribe",
      () => new LingeringBus(),
      [
        group(
          "unsubscribe > once unsubscribe resolves, its handler is never called again; the others go on",
        ),
      ],
    ],
    [
      "a bus that delivers twice",
      () => new DoublingBus(),
      [
        group(
          "unsubscribe > two subscriptions to one session on one bus each get every message exactly once",
        ),
      ],
    ],
    [
      "a bus that reorders",
      () => new ReorderingBus(),
      [
        group(
          "order > 200 messages published at once by one bus reach every subscription in publish order",
        ),
      ],
    ],
    [
      "a bus that stores messages for later subscribers",
      () => new StoringBus(),
      [
        group(
          "delivery > a message published before the subscription resolved is not delivered to it later",
        ),
      ],
    ],
    [
      "a bus without a size bound",
      () => new UnboundedBus(),
      [
        group(
          "validation > a message over the size bound is refused with BusMessageTooLargeError, counted in UTF-8 bytes; the bus goes on",
        ),
      ],
    ],
    [
      "a bus that works on after close",
      () => new NeverClosingBus(),
      [
        group(
          "lifecycle > close is idempotent, and publish and subscribe after it reject with BusClosedError",
        ),
      ],
    ],
  ])("fails %s, on the behaviours it breaks", async (_, make, expected) => {
    const result = await run(make);
    for (const name of expected) expect(result.tests).toContain(name);
    expect(result.failed).toEqual(expect.arrayContaining(expected));
  });
});
