/**
 * Process entry of an event replica (see `startEventReplica`): one SDK v2 `createMcpHandler` on
 * node:http (loopback, a free port) serving an `McpServer` with one tool and every change
 * capability, whose bus is `MessageBusServerEventBus` over `RedisMessageBus`. Started with `fork`
 * and its config as JSON in `argv[2]`; sends `{ ready }` once listening, runs the commands of
 * `event-replica-protocol.ts`, and exits when told to close or when the test process goes away.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type NodeIncomingMessageLike, toNodeHandler } from "@modelcontextprotocol/node";
import { createMcpHandler, McpServer } from "@modelcontextprotocol/server";
import { errorCodeOf, MessageBusServerEventBus, type ServerEvent } from "@vmcp/session-core";
import { RedisMessageBus } from "@vmcp/store-redis";
import {
  type ReplicaCommand,
  type ReplicaConfig,
  type ReplicaError,
  type ReplicaMessage,
  SentAtMetaKey,
} from "./event-replica-protocol.js";

const config = JSON.parse(process.argv[2] ?? "{}") as ReplicaConfig;

function send(message: ReplicaMessage): void {
  process.send?.(message);
}

function reporter(from: ReplicaError["from"]): (error: Error, event?: ServerEvent) => void {
  return (error, event) => {
    const about =
      event === undefined
        ? undefined
        : event.kind === "resource_updated"
          ? `${event.kind} ${event.uri}`
          : event.kind;
    send({
      error: { from, name: error.name, code: errorCodeOf(error), message: error.message, about },
    });
  };
}

const bus = new RedisMessageBus({
  ...("url" in config.redis
    ? { url: config.redis.url }
    : { cluster: { nodes: config.redis.cluster.map(({ host, port }) => ({ host, port })) } }),
  keyPrefix: config.keyPrefix,
});
const events = await MessageBusServerEventBus.open(bus, {
  onError: reporter("events"),
  ...(config.probeIntervalMs === undefined ? {} : { probeIntervalMs: config.probeIntervalMs }),
});

function makeServer(): McpServer {
  const server = new McpServer(
    { name: `event-replica-${config.name}`, version: "1.0.0" },
    {
      capabilities: {
        tools: { listChanged: true },
        prompts: { listChanged: true },
        resources: { listChanged: true, subscribe: true },
      },
    },
  );
  server.registerTool("replica", { description: "Names the replica that answers" }, async () => ({
    content: [{ type: "text", text: config.name }],
  }));
  return server;
}

const handler = createMcpHandler(makeServer, {
  bus: events,
  legacy: "reject",
  onerror: reporter("handler"),
  ...(config.maxSubscriptions === undefined ? {} : { maxSubscriptions: config.maxSubscriptions }),
  ...(config.keepAliveMs === undefined ? {} : { keepAliveMs: config.keepAliveMs }),
});
const serve = toNodeHandler(handler);
// Under exactOptionalPropertyTypes, IncomingMessage's `method?: string | undefined` is not the
// adapter's `method?: string`; the object is what the adapter reads all the same.
const http = createServer((req, res) => void serve(req as NodeIncomingMessageLike, res));
await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
const { port } = http.address() as AddressInfo;

let closing: Promise<void> | undefined;

/** Closes everything, in order: the handler (ending its streams), HTTP, the adapter, the bus. Once. */
function shutdown(): Promise<void> {
  closing ??= (async () => {
    await handler.close();
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
    await events.close();
    await bus.close();
  })();
  return closing;
}

process.on("message", (command: ReplicaCommand) => {
  switch (command.op) {
    case "notify":
      if (command.method === "resourceUpdated") handler.notify.resourceUpdated(command.uri);
      else handler.notify[command.method]();
      send({ reply: command.id });
      return;
    case "stamped":
      handler.bus.publish({
        kind: "tools_list_changed",
        params: { _meta: { [SentAtMetaKey]: String(process.hrtime.bigint()) } },
      });
      send({ reply: command.id });
      return;
    case "close":
      void shutdown().then(() => {
        send({ reply: command.id });
        process.disconnect();
      });
      return;
  }
});
// The test process is gone (or closed the channel): nothing is left to serve.
process.on("disconnect", () => void shutdown().finally(() => process.exit(0)));

send({ ready: { url: `http://127.0.0.1:${port}/mcp`, sourceId: events.sourceId } });
