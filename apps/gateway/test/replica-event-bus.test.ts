/**
 * The listen streams' event bus of a replica (`ReplicaEventBus`): the fan-in's events reach this
 * replica's streams only, what is published crosses to every replica once (over a real
 * `MessageBusServerEventBus` on a real in-process message bus shared by two "replicas").
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
