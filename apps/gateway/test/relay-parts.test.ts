import type { BusSubscription, SessionMessageBus } from "@vmcp/session-core";
import { InProcessMessageBus } from "@vmcp/store-memory";
import { waitUntil } from "@vmcp/test-support";
import { afterEach, describe, expect, it } from "vitest";
import type { BusEnvelope } from "../dist/http/mcp-2025-11-25/relay/bus-envelope.js";
import { BusSubscriptions } from "../dist/http/mcp-2025-11-25/relay/bus-subscriptions.js";
import { InFlightRequests } from "../dist/http/mcp-2025-11-25/relay/in-flight-requests.js";
import { ServedSessions } from "../dist/http/mcp-2025-11-25/relay/served-sessions.js";
import type { PostResponse } from "../dist/http/responses/post-response.js";
import type { ServedSession } from "../dist/http/routing/session-service.js";
import { createLogger } from "../dist/logger.js";

const log = createLogger("silent", { destination: { write: () => undefined } });
const response = {} as PostResponse;

/** An in-process bus that counts subscribe and unsubscribe calls, and can refuse subscribing. */
function countingBus() {
  const inner = new InProcessMessageBus();
  const counts = { subscribe: 0, unsubscribe: 0 };
  let refuse = false;
  const bus: SessionMessageBus = {
    publish: (sessionId, text) => inner.publish(sessionId, text),
    subscribe: async (sessionId, handler): Promise<BusSubscription> => {
      counts.subscribe++;
      if (refuse) throw new Error("bus down");
      const subscription = await inner.subscribe(sessionId, handler);
      return {
        sessionId,
        unsubscribe: async () => {
          counts.unsubscribe++;
          await subscription.unsubscribe();
        },
      };
    },
    close: () => inner.close(),
  };
  return {
    bus,
    counts,
    refuse: (value: boolean) => {
      refuse = value;
    },
  };
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function subscriptionsOn(bus: SessionMessageBus, ackTimeoutMs = 2_000) {
  const received: [string, BusEnvelope][] = [];
  const subscriptions = new BusSubscriptions({
    bus,
    log,
    ackTimeoutMs,
    onEnvelope: (sessionId, _channel, envelope) => received.push([sessionId, envelope]),
  });
  closers.push(
    () => subscriptions.close(),
    () => bus.close(),
  );
  return { subscriptions, received };
}

describe("BusSubscriptions", () => {
  it("subscribes once for every holder of a session, and again only after a failed try", async () => {
    const { bus, counts, refuse } = countingBus();
    const { subscriptions } = subscriptionsOn(bus);
    refuse(true);
    const first = subscriptions.retain("s1");
    expect(await first.subscription).toBeUndefined();
    refuse(false);
    const second = subscriptions.retain("s1");
    expect(second).toBe(first);
    expect(await second.subscription).toBeDefined();
    subscriptions.retain("s1");
    expect(counts.subscribe).toBe(2);
    // Released by every holder, the subscription lingers: a new holder reuses it.
    for (let i = 0; i < 3; i++) subscriptions.release("s1");
    expect(subscriptions.retain("s1")).toBe(first);
    expect(counts).toEqual({ subscribe: 2, unsubscribe: 0 });
    await subscriptions.close();
    expect(counts.unsubscribe).toBe(1);
  });

  it("hands a session's envelopes to its handler, and ignores what is not one", async () => {
    const bus = new InProcessMessageBus();
    const { subscriptions, received } = subscriptionsOn(bus);
    await subscriptions.retain("s1").subscription;
    await bus.publish("s1", "not json");
    await bus.publish("s1", JSON.stringify({ kind: "something else" }));
    await subscriptions.publish("s1", { kind: "terminated" });
    await waitUntil(() => received.length > 0);
    expect(received).toEqual([["s1", { kind: "terminated" }]]);
  });

  it("a publish waiting for an acknowledgement gets true once acknowledged, false after the bound", async () => {
    const { subscriptions } = subscriptionsOn(new InProcessMessageBus(), 100);
    const channel = subscriptions.retain("s1");
    const acked = subscriptions.publishAcked("s1", channel, (ack) => {
      queueMicrotask(() => subscriptions.acknowledge(channel, ack));
      return { kind: "answer-ack", ack: "other" };
    });
    await expect(acked).resolves.toBe(true);
    await expect(
      subscriptions.publishAcked("s1", channel, () => ({ kind: "terminated" })),
    ).resolves.toBe(false);
  });
});

describe("InFlightRequests", () => {
  it("attributes work to the open request it runs as, and finds a request by its progress token", async () => {
    const requests = new InFlightRequests();
    const numbered = requests.begin("s1", { _meta: { progressToken: 1 } }, response);
    const named = requests.begin("s1", { _meta: { progressToken: "1" } }, response);
    expect(requests.byProgressToken("s1", 1)).toBe(numbered);
    expect(requests.byProgressToken("s1", "1")).toBe(named);
    expect(requests.byProgressToken("s2", 1)).toBeUndefined();
    expect(requests.attributed("s1")).toBeUndefined();
    await requests.run(numbered, async () => {
      await Promise.resolve();
      expect(requests.attributed("s1")).toBe(numbered);
      expect(requests.attributed("s2")).toBeUndefined();
    });
    expect(requests.end(numbered)).toBe(true);
    expect(requests.end(numbered)).toBe(false);
    expect(requests.byProgressToken("s1", 1)).toBeUndefined();
    await requests.run(numbered, async () => expect(requests.attributed("s1")).toBeUndefined());
  });
});

describe("ServedSessions", () => {
  it("refreshes the lists a list_changed names, for a session it served and not after it was deleted", () => {
    const changed: [string, string][] = [];
    const served = new ServedSessions((session, kind) => changed.push([session.id, kind]));
    const session = { id: "s1" } as ServedSession;
    served.listChanged("s1", "notifications/tools/list_changed");
    served.remember(session);
    served.listChanged("s1", "notifications/tools/list_changed");
    served.listChanged("s1", "notifications/resources/list_changed");
    served.forget("s1");
    served.listChanged("s1", "notifications/prompts/list_changed");
    expect(changed).toEqual([
      ["s1", "tools"],
      ["s1", "resources"],
    ]);
  });
});
