import { BusClosedError, BusMessageTooLargeError, BusUnavailableError } from "@vmcp/session-core";
import { describe, expect, it } from "vitest";
import { InProcessMessageBus } from "../src/index.js";

/** Resolves after the bus's next delivery turn. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

// The contract's shared semantics are pinned by the bus conformance suite; these are the
// in-process bus's own: back-pressure, a throwing handler, and its bounds.
describe("InProcessMessageBus", () => {
  it("refuses a publish past its pending bound with BusUnavailableError, and accepts again once delivered", async () => {
    const bus = new InProcessMessageBus({ maxPendingMessages: 3 });
    const seen: string[] = [];
    await bus.subscribe("s1", (message) => seen.push(message));
    await bus.subscribe("s1", (message) => seen.push(`second:${message}`));
    await bus.publish("s1", "a"); // two deliveries pending
    await expect(bus.publish("s1", "b")).rejects.toBeInstanceOf(BusUnavailableError);
    await nextTurn();
    expect(seen).toEqual(["a", "second:a"]);
    await bus.publish("s1", "c");
    await nextTurn();
    expect(seen).toEqual(["a", "second:a", "c", "second:c"]);
    await bus.close();
  });

  it("keeps delivering to other subscriptions when a handler throws, and reports it", async () => {
    const reported: string[] = [];
    const bus = new InProcessMessageBus({
      onHandlerError: (error, sessionId) => reported.push(`${sessionId}: ${String(error)}`),
    });
    const seen: string[] = [];
    await bus.subscribe("s1", () => {
      throw new Error("boom");
    });
    await bus.subscribe("s1", (message) => seen.push(message));
    await bus.publish("s1", "m");
    await nextTurn();
    expect(seen).toEqual(["m"]);
    expect(reported).toEqual(["s1: Error: boom"]);
    await bus.close();
  });

  it("counts the size bound in UTF-8 bytes", async () => {
    const bus = new InProcessMessageBus({ maxMessageBytes: 4 });
    await expect(bus.publish("s1", "éé")).resolves.toBeUndefined(); // 4 bytes
    const refused = await bus.publish("s1", "ééé").catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BusMessageTooLargeError);
    expect(refused).toMatchObject({ bytes: 6, limitBytes: 4, code: "VMCP_BUS_MESSAGE_TOO_LARGE" });
    await bus.close();
  });

  it("drops what is pending at close and refuses calls afterwards", async () => {
    const bus = new InProcessMessageBus();
    const seen: string[] = [];
    await bus.subscribe("s1", (message) => seen.push(message));
    await bus.publish("s1", "lost");
    await bus.close();
    await nextTurn();
    expect(seen).toEqual([]);
    await expect(bus.publish("s1", "x")).rejects.toBeInstanceOf(BusClosedError);
    await expect(bus.subscribe("s1", () => {})).rejects.toBeInstanceOf(BusClosedError);
    await bus.close();
  });

  it("refuses bounds that are not positive integers", () => {
    expect(() => new InProcessMessageBus({ maxPendingMessages: 0 })).toThrow(RangeError);
    expect(() => new InProcessMessageBus({ maxMessageBytes: 1.5 })).toThrow(RangeError);
  });
});
