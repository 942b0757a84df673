import { setTimeout as sleep } from "node:timers/promises";
import {
  BusClosedError,
  BusMessageTooLargeError,
  BusUnavailableError,
  InvalidSessionInputError,
  MessageBusServerEventBus,
  type MessageBusServerEventBusOptions,
  type ServerEvent,
  ServerEventDecodeError,
  ServerEventsChannelId,
} from "@vmcp/session-core";
import { waitUntil } from "@vmcp/test-support";
import { afterEach, describe, expect, it } from "vitest";
import { FakeBus } from "./fake-bus.js";

/** Opens adapters that are closed after each test, and records what each one reports. */
const opened: MessageBusServerEventBus[] = [];
afterEach(async () => {
  for (const adapter of opened.splice(0)) await adapter.close();
});

async function open(
  bus: FakeBus,
  options: MessageBusServerEventBusOptions = {},
): Promise<{
  adapter: MessageBusServerEventBus;
  errors: Error[];
  /** For each error, the event it concerns (or undefined). */
  about: Array<ServerEvent | undefined>;
}> {
  const errors: Error[] = [];
  const about: Array<ServerEvent | undefined> = [];
  const adapter = await MessageBusServerEventBus.open(bus, {
    probeIntervalMs: 0,
    onError: (error, event) => {
      errors.push(error);
      about.push(event);
    },
    ...options,
  });
  opened.push(adapter);
  return { adapter, errors, about };
}

/** A listener that records every event it gets. */
function recorder(): { events: ServerEvent[]; listener: (event: ServerEvent) => void } {
  const events: ServerEvent[] = [];
  return { events, listener: (event) => events.push(event) };
}

const kinds = (events: readonly ServerEvent[]) => events.map((event) => event.kind);

describe("MessageBusServerEventBus", () => {
  it("subscribes the reserved channel once at open, shared by every listener, and ends it at close", async () => {
    const bus = new FakeBus();
    const { adapter } = await open(bus);
    expect(adapter.channelId).toBe(ServerEventsChannelId);
    expect(bus.subscriptions.map((s) => s.sessionId)).toEqual(["vmcp:server-events"]);
    const a = recorder();
    const b = recorder();
    adapter.subscribe(a.listener);
    adapter.subscribe(b.listener);
    expect(bus.liveSubscriptions).toBe(1);
    await adapter.close();
    await adapter.close();
    expect(bus.liveSubscriptions).toBe(0);
    expect(bus.closed).toBe(false); // the bus belongs to whoever opened it
  });

  it("delivers a publish once to every replica's listeners, its own through the bus, never inside publish", async () => {
    const bus = new FakeBus();
    const { adapter: publisher } = await open(bus);
    const { adapter: replica } = await open(bus);
    const own = recorder();
    const other = recorder();
    publisher.subscribe(own.listener);
    replica.subscribe(other.listener);
    publisher.publish({ kind: "tools_list_changed" });
    publisher.publish({ kind: "resource_updated", uri: "file:///a", params: { _meta: { n: 1 } } });
    expect(own.events).toEqual([]); // not synchronous: nothing before the bus hands it back
    await waitUntil(() => own.events.length === 2 && other.events.length === 2);
    const expected = [
      { kind: "tools_list_changed" },
      { kind: "resource_updated", uri: "file:///a", params: { _meta: { n: 1 } } },
    ];
    expect(own.events).toEqual(expected);
    expect(other.events).toEqual(expected);
    expect(bus.published).toHaveLength(2);
    // Exactly once: a marker published after them arrives with nothing else in between.
    publisher.publish({ kind: "prompts_list_changed" });
    await waitUntil(() => own.events.length >= 3 && other.events.length >= 3);
    expect(kinds(own.events)).toEqual([
      "tools_list_changed",
      "resource_updated",
      "prompts_list_changed",
    ]);
    expect(kinds(other.events)).toEqual(kinds(own.events));
  });

  it("a listener that publishes from inside itself is not called again inside that call", async () => {
    const bus = new FakeBus();
    const { adapter } = await open(bus);
    const seen: string[] = [];
    let depth = 0;
    adapter.subscribe((event) => {
      depth++;
      seen.push(`${event.kind}@${depth}`);
      if (event.kind === "tools_list_changed") adapter.publish({ kind: "prompts_list_changed" });
      depth--;
    });
    adapter.publish({ kind: "tools_list_changed" });
    await waitUntil(() => seen.length === 2);
    expect(seen).toEqual(["tools_list_changed@1", "prompts_list_changed@1"]);
  });

  it("unsubscribe is idempotent and final; a function subscribed twice is two registrations", async () => {
    const bus = new FakeBus();
    const { adapter } = await open(bus);
    const twice = recorder();
    const gone = recorder();
    const marker = recorder();
    const first = adapter.subscribe(twice.listener);
    adapter.subscribe(twice.listener);
    const unsubscribe = adapter.subscribe(gone.listener);
    adapter.subscribe(marker.listener);
    expect(adapter.listenerCount).toBe(4);
    unsubscribe();
    unsubscribe();
    first();
    first(); // removes its own registration only, once
    expect(adapter.listenerCount).toBe(2);
    adapter.publish({ kind: "tools_list_changed" });
    await waitUntil(() => marker.events.length === 1);
    expect(twice.events).toHaveLength(1);
    expect(gone.events).toEqual([]);
  });

  it("a listener that throws is reported; the others still get the event", async () => {
    const bus = new FakeBus();
    const { adapter, errors, about } = await open(bus);
    const after = recorder();
    adapter.subscribe(() => {
      throw new Error("listener broke");
    });
    adapter.subscribe(after.listener);
    adapter.publish({ kind: "tools_list_changed" });
    await waitUntil(() => after.events.length === 1);
    expect(errors.map((e) => e.message)).toEqual(["listener broke"]);
    expect(about).toEqual([{ kind: "tools_list_changed" }]);
  });

  it("reports as a process warning by default, naming the event's kind", async () => {
    const bus = new FakeBus();
    const adapter = await MessageBusServerEventBus.open(bus, { probeIntervalMs: 0 });
    opened.push(adapter);
    const warned = new Promise<Error>((resolve) => process.once("warning", resolve));
    bus.failPublishes = true;
    adapter.publish({ kind: "prompts_list_changed" });
    expect((await warned).message).toBe(
      "server events (prompts_list_changed): the fake bus is down",
    );
  });

  it("drops incoming messages that are not server event frames, reports each, and goes on", async () => {
    const bus = new FakeBus();
    const { adapter, errors } = await open(bus, { maxEventBytes: 512 });
    const got = recorder();
    adapter.subscribe(got.listener);
    const frame = (event: unknown) => JSON.stringify({ v: 1, source: "peer", seq: 1, event });
    const bad = [
      "not json",
      JSON.stringify({ kind: "tools_list_changed" }), // a bare event, no frame
      JSON.stringify({ v: 2, source: "peer", seq: 1 }),
      frame({ kind: "tools/list_changed" }),
      frame({ kind: "resource_updated" }),
      frame({ kind: "tools_list_changed", params: "x" }),
      frame({ kind: "resource_updated", uri: "x".repeat(600) }), // over maxEventBytes
    ];
    for (const message of bad) bus.inject(ServerEventsChannelId, message);
    bus.inject(ServerEventsChannelId, frame({ kind: "resource_updated", uri: "file:///ok" }));
    await waitUntil(() => got.events.length === 1);
    expect(got.events).toEqual([{ kind: "resource_updated", uri: "file:///ok" }]);
    expect(errors).toHaveLength(bad.length);
    for (const error of errors) {
      expect(error).toBeInstanceOf(ServerEventDecodeError);
      expect(error).toMatchObject({
        code: "VMCP_SERVER_EVENT_DECODE",
        channelId: ServerEventsChannelId,
      });
    }
    expect(errors.map((e) => e.message).join("\n")).toMatch(/over the bound of 512 bytes/);
  });

  it("refuses to publish what is not an event or is over the bound, without sending or counting it", async () => {
    const bus = new FakeBus();
    const { adapter, errors, about } = await open(bus, { maxEventBytes: 256 });
    const got = recorder();
    adapter.subscribe(got.listener);
    adapter.publish({ kind: "bogus" } as unknown as ServerEvent);
    adapter.publish({ kind: "resource_updated", uri: "u".repeat(300) });
    expect(bus.published).toEqual([]);
    expect(errors[0]).toBeInstanceOf(InvalidSessionInputError);
    expect(errors[1]).toBeInstanceOf(BusMessageTooLargeError);
    expect(errors[1]).toMatchObject({ limitBytes: 256 });
    expect(about).toEqual([undefined, { kind: "resource_updated", uri: "u".repeat(300) }]);
    // The refused publishes took no frame number: the next one is 1, and no loss is announced.
    adapter.publish({ kind: "tools_list_changed" });
    adapter.publish({ kind: "prompts_list_changed" });
    await waitUntil(() => got.events.length === 2);
    expect(JSON.parse(bus.published[0]?.message ?? "")).toMatchObject({ seq: 1 });
    await sleep(0); // an announcement would be due by now (its timer came first)
    expect(kinds(got.events)).toEqual(["tools_list_changed", "prompts_list_changed"]);
  });

  it("a publish the bus refuses is reported, and every replica then announces the list changes", async () => {
    const bus = new FakeBus();
    const { adapter: publisher, errors, about } = await open(bus);
    const { adapter: replica } = await open(bus);
    const own = recorder();
    const other = recorder();
    publisher.subscribe(own.listener);
    replica.subscribe(other.listener);
    publisher.publish({ kind: "prompts_list_changed" }); // frame 1: seen by both
    await waitUntil(() => own.events.length === 1 && other.events.length === 1);
    bus.failPublishes = true;
    publisher.publish({ kind: "resource_updated", uri: "file:///lost" }); // frame 2: lost
    await waitUntil(() => errors.length === 1);
    expect(errors[0]).toBeInstanceOf(BusUnavailableError);
    expect(about).toEqual([{ kind: "resource_updated", uri: "file:///lost" }]); // what was lost
    bus.failPublishes = false;
    publisher.publish({ kind: "resource_updated", uri: "file:///after" }); // frame 3: gap seen
    const announced = [
      "resource_updated",
      "tools_list_changed",
      "prompts_list_changed",
      "resources_list_changed",
    ];
    await waitUntil(() => own.events.length === 5 && other.events.length === 5);
    expect(kinds(own.events).slice(1)).toEqual(announced);
    expect(kinds(other.events).slice(1)).toEqual(announced);
  });

  it("probes reveal a message a replica missed while its subscription was cut, with no event after", async () => {
    const bus = new FakeBus();
    const { adapter: publisher } = await open(bus, { probeIntervalMs: 20 });
    const { adapter: replica } = await open(bus, { probeIntervalMs: 0 });
    const other = recorder();
    replica.subscribe(other.listener);
    publisher.publish({ kind: "tools_list_changed" });
    await waitUntil(() => other.events.length === 1);
    const replicaSubscription = bus.subscriptions[1];
    if (replicaSubscription === undefined) throw new Error("no replica subscription");
    replicaSubscription.cut = true;
    publisher.publish({ kind: "resource_updated", uri: "file:///missed" }); // lost for the replica
    replicaSubscription.cut = false;
    // The publisher's next probe reaches the replica, which sees the gap.
    await waitUntil(() => other.events.length === 4, 5_000, "the list changes announced");
    expect(kinds(other.events)).toEqual([
      "tools_list_changed",
      "tools_list_changed",
      "prompts_list_changed",
      "resources_list_changed",
    ]);
  });

  it("a replica alone notices its own lost probes; a failing probe is reported once per outage", async () => {
    const bus = new FakeBus();
    const { adapter, errors, about } = await open(bus, { probeIntervalMs: 10 });
    const got = recorder();
    adapter.subscribe(got.listener);
    const sent = () => bus.published.length;
    await waitUntil(() => sent() >= 1); // its own probes come back: no gap
    bus.failPublishes = true;
    // Five probes fail (one per 10 ms), and the outage is reported once.
    await waitUntil(() => bus.refused >= 5);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(BusUnavailableError);
    expect(about).toEqual([undefined]); // a probe: no event lost
    expect(got.events).toEqual([]);
    bus.failPublishes = false;
    await waitUntil(() => got.events.length === 3);
    expect(kinds(got.events)).toEqual([
      "tools_list_changed",
      "prompts_list_changed",
      "resources_list_changed",
    ]);
  });

  it("whenEventsLost: 'ignore' announces nothing", async () => {
    const bus = new FakeBus();
    const { adapter } = await open(bus, {
      whenEventsLost: "ignore",
      minLossAnnouncementIntervalMs: 0,
    });
    const got = recorder();
    adapter.subscribe(got.listener);
    adapter.publish({ kind: "tools_list_changed" });
    await waitUntil(() => got.events.length === 1);
    bus.failPublishes = true;
    adapter.publish({ kind: "tools_list_changed" }); // refused at once: its frame number is lost
    bus.failPublishes = false;
    expect(bus.refused).toBe(1);
    adapter.publish({ kind: "prompts_list_changed" });
    await waitUntil(() => got.events.length === 2);
    await sleep(0); // an announcement's timer would have been set before this one
    expect(kinds(got.events)).toEqual(["tools_list_changed", "prompts_list_changed"]);
  });

  it("joins the losses of many replicas into one announcement per interval", async () => {
    const bus = new FakeBus();
    const { adapter } = await open(bus, { minLossAnnouncementIntervalMs: 60_000 });
    const got = recorder();
    adapter.subscribe(got.listener);
    const frame = (source: string, seq: number) => JSON.stringify({ v: 1, source, seq });
    for (const source of ["a", "b", "c"]) bus.inject(ServerEventsChannelId, frame(source, 1));
    for (const source of ["a", "b", "c"]) bus.inject(ServerEventsChannelId, frame(source, 3));
    await waitUntil(() => got.events.length === 3);
    bus.inject(ServerEventsChannelId, frame("a", 9)); // another loss within the interval
    adapter.publish({ kind: "resource_updated", uri: "file:///marker" });
    await waitUntil(() => got.events.length === 4);
    await sleep(0);
    expect(kinds(got.events)).toEqual([
      "tools_list_changed",
      "prompts_list_changed",
      "resources_list_changed",
      "resource_updated",
    ]);
  });

  it("after close: publish is reported as BusClosedError, subscribe is inert, nothing is delivered", async () => {
    const bus = new FakeBus();
    const { adapter, errors } = await open(bus);
    const { adapter: peer } = await open(bus);
    const got = recorder();
    adapter.subscribe(got.listener);
    await adapter.close();
    expect(adapter.listenerCount).toBe(0);
    adapter.publish({ kind: "tools_list_changed" });
    expect(errors[0]).toBeInstanceOf(BusClosedError);
    const late = recorder();
    adapter.subscribe(late.listener)();
    expect(adapter.listenerCount).toBe(0);
    const alive = recorder();
    peer.subscribe(alive.listener);
    peer.publish({ kind: "tools_list_changed" });
    await waitUntil(() => alive.events.length === 1);
    expect(got.events).toEqual([]);
    expect(bus.published).toHaveLength(1);
  });

  it("open rejects with the bus's error when it cannot subscribe", async () => {
    const bus = new FakeBus();
    await bus.close();
    await expect(MessageBusServerEventBus.open(bus)).rejects.toBeInstanceOf(BusClosedError);
  });

  it("takes a reserved channel of one's own, and refuses one that could be a session's", async () => {
    const bus = new FakeBus();
    const { adapter } = await open(bus, { channelId: "tenant-a:events" });
    expect(adapter.channelId).toBe("tenant-a:events");
    expect(bus.subscriptions[0]?.sessionId).toBe("tenant-a:events");
    for (const channelId of ["", "with space", "x".repeat(257)]) {
      await expect(MessageBusServerEventBus.open(bus, { channelId })).rejects.toThrow(
        /channelId: invalid session ID/,
      );
    }
    await expect(
      MessageBusServerEventBus.open(bus, { channelId: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }),
    ).rejects.toThrow(/could be a generated session's ID/);
  });

  it("refuses bounds out of range", async () => {
    const bus = new FakeBus();
    const bad: MessageBusServerEventBusOptions[] = [
      { maxEventBytes: 0 },
      { probeIntervalMs: -1 },
      { probeIntervalMs: 1.5 },
      { probeIntervalMs: 2 ** 31 }, // a Node timer would fire after 1 ms instead
      { minLossAnnouncementIntervalMs: 2 ** 31 },
      { minLossAnnouncementIntervalMs: -5 },
      { maxSources: 0 },
      { whenEventsLost: "sometimes" as "ignore" },
    ];
    for (const options of bad) {
      await expect(MessageBusServerEventBus.open(bus, options)).rejects.toBeInstanceOf(RangeError);
    }
    expect(bus.subscriptions).toEqual([]);
  });
});
