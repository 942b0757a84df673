/**
 * The listen streams' event bus of a replica (`ReplicaEventBus`): the fan-in's events reach this
 * replica's streams only, what is published crosses to every replica once (over a real
 * `MessageBusServerEventBus` on a real in-process message bus shared by two "replicas"): the
 * publisher's streams at once (its echo from the bus dropped), so a bus that is down loses the
 * event on the other replicas only.
 */
import type { ServerEvent } from "@modelcontextprotocol/server";
import { MessageBusServerEventBus } from "@vmcp/session-core";
import { InProcessMessageBus } from "@vmcp/store-memory";
import { waitUntil } from "@vmcp/test-support";
import { afterEach, describe, expect, it } from "vitest";
import { ReplicaEventBus } from "../dist/http/mcp-2026-07-28/listen/replica-event-bus.js";

const tools: ServerEvent = { kind: "tools_list_changed" };
const prompts: ServerEvent = { kind: "prompts_list_changed" };

describe("ReplicaEventBus", () => {
  const closing: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const part of closing.splice(0).reverse()) await part.close();
  });

  /** Two replicas' buses over one message bus, their shared adapters attached. */
  async function twoReplicas() {
    const bus = new InProcessMessageBus();
    closing.push(bus);
    const errors: Error[] = [];
    const replicas = [];
    for (let i = 0; i < 2; i++) {
      const shared = await MessageBusServerEventBus.open(bus, { probeIntervalMs: 0 });
      closing.push(shared);
      const replica = new ReplicaEventBus((error) => errors.push(error));
      replica.attach(shared);
      replicas.push(replica);
    }
    return { replicas: replicas as [ReplicaEventBus, ReplicaEventBus], errors };
  }

  it("delivers the fan-in's events to this replica's listeners only, and published ones to every replica's once", async () => {
    const { replicas } = await twoReplicas();
    const [a, b] = replicas;
    const heardA: ServerEvent[] = [];
    const heardB: ServerEvent[] = [];
    a.subscribe((e) => heardA.push(e));
    b.subscribe((e) => heardB.push(e));

    a.deliverLocally(tools);
    expect(heardA).toEqual([tools]);
    b.publish(prompts);
    await waitUntil(() => heardA.length === 2 && heardB.length === 1, 2_000, "the published event");
    // A later local event is the barrier: nothing more of the published one arrives before it.
    a.deliverLocally(tools);
    b.deliverLocally(tools);
    expect(heardA).toEqual([tools, prompts, tools]);
    expect(heardB).toEqual([prompts, tools]);
  });

  it("delivers locally while no shared bus is attached, and subscribes its listeners to one attached later", async () => {
    const bus = new InProcessMessageBus();
    closing.push(bus);
    const replica = new ReplicaEventBus(() => undefined);
    const heard: ServerEvent[] = [];
    const leave = replica.subscribe((e) => heard.push(e));
    replica.publish(tools);
    expect(heard).toEqual([tools]);
    expect(replica.attached).toBe(false);

    const shared = await MessageBusServerEventBus.open(bus, { probeIntervalMs: 0 });
    closing.push(shared);
    replica.attach(shared);
    expect(() => replica.attach(shared)).toThrow(/attached already/);
    replica.publish(prompts);
    await waitUntil(() => heard.length === 2, 2_000, "the event through the shared bus");
    expect(heard).toEqual([tools, prompts]);

    // Unsubscribed from both sources at once; idempotent.
    leave();
    leave();
    expect(replica.listenerCount).toBe(0);
    shared.publish(tools);
    replica.deliverLocally(tools);
    const barrier: ServerEvent[] = [];
    replica.subscribe((e) => barrier.push(e));
    replica.publish(prompts);
    await waitUntil(() => barrier.some((e) => e.kind === prompts.kind), 2_000, "the barrier event");
    expect(heard).toEqual([tools, prompts]);
  });

  it("hands a published event to the publisher's streams at once and once only (its echo dropped), and to the other replica's once", async () => {
    const { replicas } = await twoReplicas();
    const [a, b] = replicas;
    const heardA: ServerEvent[] = [];
    const heardB: ServerEvent[] = [];
    a.subscribe((e) => heardA.push(e));
    b.subscribe((e) => heardB.push(e));

    a.publish(tools);
    a.publish(tools);
    // At once, before the bus had a turn.
    expect(heardA).toEqual([tools, tools]);
    await waitUntil(() => heardB.length === 2, 2_000, "both events on the other replica");
    // A later event published by the other replica is the barrier: the echoes arrived before it.
    b.publish(prompts);
    await waitUntil(() => heardA.length === 3, 2_000, "the barrier event");
    expect(heardA).toEqual([tools, tools, prompts]);
    expect(heardB).toEqual([tools, tools, prompts]);
  });

  it("loses a published event on the other replicas only while the bus refuses to carry it, and never throws", async () => {
    const bus = new InProcessMessageBus();
    closing.push(bus);
    const reported: unknown[] = [];
    const shared = await MessageBusServerEventBus.open(bus, {
      probeIntervalMs: 0,
      onError: (error) => reported.push(error),
    });
    closing.push(shared);
    const other = await MessageBusServerEventBus.open(bus, { probeIntervalMs: 0 });
    closing.push(other);
    const replica = new ReplicaEventBus(() => undefined, 200);
    replica.attach(shared);
    const heard: ServerEvent[] = [];
    const heardElsewhere: ServerEvent[] = [];
    replica.subscribe((e) => heard.push(e));
    other.subscribe((e) => heardElsewhere.push(e));

    const publish = bus.publish.bind(bus);
    bus.publish = () => Promise.reject(new Error("bus down"));
    expect(() => replica.publish(tools)).not.toThrow();
    expect(heard).toEqual([tools]);
    await waitUntil(() => reported.length > 0, 2_000, "the refused publish reported");
    expect(heardElsewhere).toEqual([]);

    // The bus is back; the expected echo expired (200 ms), so the other replica's next event of
    // the same kind reaches this replica's streams.
    bus.publish = publish;
    await new Promise((r) => setTimeout(r, 250));
    other.publish(tools);
    await waitUntil(() => heard.length >= 2, 2_000, "the other replica's event");
    expect(heard[1]).toEqual(tools);
  });

  it("keeps delivering when a listener throws, and reports it with the event", async () => {
    const reported: [Error, ServerEvent][] = [];
    const replica = new ReplicaEventBus((error, event) => reported.push([error, event]));
    const heard: ServerEvent[] = [];
    replica.subscribe(() => {
      throw new Error("stream gone");
    });
    replica.subscribe((e) => heard.push(e));
    replica.deliverLocally(tools);
    expect(heard).toEqual([tools]);
    expect(reported.map(([e, ev]) => [e.message, ev])).toEqual([["stream gone", tools]]);
  });
});
