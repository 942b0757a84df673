/**
 * session-core declares SDK v2's `ServerEvent` and `ServerEventBus` by shape (it must not import
 * SDK v2). These checks hold the two declarations together: `pnpm typecheck` fails when the SDK's
 * shapes move away from ours, and the run-time part hands our adapter to `createMcpHandler`.
 */
import {
  createMcpHandler,
  McpServer,
  type ServerEvent as SdkServerEvent,
  type ServerEventBus as SdkServerEventBus,
} from "@modelcontextprotocol/server";
import {
  MessageBusServerEventBus,
  type ServerEvent,
  type ServerEventBus,
  type ServerEventListener,
} from "@vmcp/session-core";
import { InProcessMessageBus } from "@vmcp/store-memory";
import { waitUntil } from "@vmcp/test-support";
import { describe, expect, expectTypeOf, it } from "vitest";

describe("session-core's server event shapes and SDK v2's", () => {
  it("are the same: events both ways, and our adapter is an SDK ServerEventBus", () => {
    expectTypeOf<ServerEvent>().toExtend<SdkServerEvent>();
    expectTypeOf<SdkServerEvent>().toExtend<ServerEvent>();
    expectTypeOf<ServerEventBus>().toExtend<SdkServerEventBus>();
    expectTypeOf<SdkServerEventBus>().toExtend<ServerEventBus>();
    expectTypeOf<MessageBusServerEventBus>().toExtend<SdkServerEventBus>();
    expectTypeOf<Parameters<SdkServerEventBus["subscribe"]>[0]>().toEqualTypeOf<
      (event: SdkServerEvent) => void
    >();
    expectTypeOf<ServerEventListener>().toExtend<Parameters<SdkServerEventBus["subscribe"]>[0]>();
  });

  it("createMcpHandler takes our adapter as its bus and publishes through it", async () => {
    const bus = new InProcessMessageBus();
    const events = await MessageBusServerEventBus.open(bus, { probeIntervalMs: 0 });
    const handler = createMcpHandler(() => new McpServer({ name: "types", version: "1.0.0" }), {
      bus: events,
      legacy: "reject",
    });
    try {
      expect(handler.bus).toBe(events);
      const seen: ServerEvent[] = [];
      events.subscribe((event) => seen.push(event));
      handler.notify.resourceUpdated("file:///x");
      await waitUntil(() => seen.length === 1);
      expect(seen).toEqual([{ kind: "resource_updated", uri: "file:///x" }]);
    } finally {
      await handler.close();
      await events.close();
      await bus.close();
    }
  });
});
