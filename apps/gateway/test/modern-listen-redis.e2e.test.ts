/**
 * `subscriptions/listen` across replicas (issue 20): two gateway replicas on one real Redis (store
 * and message bus), in front of a real SDK v2 backend that announces changes. Listen streams are
 * opened by real SDK v2 clients on either replica; the changes are made through the gateway (the
 * backend's `<id>_change` tool, called on the other replica) or by the backend itself.
 */
import type { Client } from "@modelcontextprotocol/client";
import { type RedisServer, startRedisServer } from "@vmcp/redis-harness";
import { waitUntil } from "@vmcp/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LoggedGateway, startLoggedGateway } from "./helpers/in-process.js";
import { type ListenStream, openListenStream } from "./helpers/listen-streams.js";
import { resultText } from "./helpers/mcp-client.js";
import { type ModernBackendFixture, startModernBackend } from "./helpers/modern-backends.js";
import { connectModernClient } from "./helpers/modern-client.js";

const BindingSecret = "modern-listen-redis-binding-secret";
const Tools = "notifications/tools/list_changed";
const Prompts = "notifications/prompts/list_changed";
const Updated = "notifications/resources/updated";
const Readme = "modern-a://readme";
const Item = "modern-a://items/1";

/** The p-th percentile (0-100) of `values`, ms. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

describe("subscriptions/listen across two replicas on Redis", () => {
  let redis: RedisServer;
  let backend: ModernBackendFixture;
  const gateways: LoggedGateway[] = [];
  const streams: ListenStream[] = [];
  const clients: Client[] = [];

  const listen = async (replica: number, filter: Parameters<typeof openListenStream>[1]) => {
    const stream = await openListenStream((gateways[replica] as LoggedGateway).url, filter);
    streams.push(stream);
    return stream;
  };

  /** Calls the backend's `modern-a_change` through replica `replica`. */
  const change = async (replica: number, kind: string, uri = "") => {
    const client = await connectModernClient((gateways[replica] as LoggedGateway).url);
    clients.push(client);
    const result = await client.request({
      method: "tools/call",
      params: { name: "modern-a_change", arguments: { kind, uri } },
    });
    expect(resultText(result)).toBe(`${kind} changed`);
  };

  beforeAll(async () => {
    [redis, backend] = await Promise.all([
      startRedisServer(),
      startModernBackend("modern-a", { legacy: "reject", changes: true }),
    ]);
    for (let i = 0; i < 2; i++) {
      gateways.push(
        await startLoggedGateway({
          store: { kind: "redis", url: redis.url },
          bindingSecret: BindingSecret,
          backendRetryInitialDelayMs: 50,
          backendRetryMaxDelayMs: 200,
          backends: [{ workloadId: "modern-a", url: backend.url }],
        }),
      );
    }
  });

  afterAll(async () => {
    await Promise.all([...streams, ...clients].map((s) => s.close()));
    for (const gateway of gateways) await gateway.close();
    await backend?.close();
    await redis?.close();
  });

  it("declares the changes its backends announce, and a listen stream on each replica hears each change exactly once", async () => {
    const both = { toolsListChanged: true, promptsListChanged: true };
    const [a, b] = [await listen(0, { toolsListChanged: true }), await listen(1, {})];
    // The second stream asked for nothing: acknowledged empty and closed at once.
    expect(b.subscription.honoredFilter).toEqual({});
    expect(await b.subscription.closed).toBe("graceful");
    const discover = a.client.getDiscoverResult();
    expect(discover?.capabilities).toMatchObject({
      tools: { listChanged: true },
      prompts: { listChanged: true },
      resources: { listChanged: true, subscribe: true },
    });
    expect(a.subscription.honoredFilter).toEqual({ toolsListChanged: true });

    const onB = await listen(1, both);
    const onA = await listen(0, both);
    // One backend listen per replica, however many client streams it serves.
    await waitUntil(() => backend.openListens() === 2, 5_000, "one backend listen per replica");

    // The change is made through replica 1; the streams on both replicas hear it. A later change
    // (prompts) through the same backend streams is the barrier: when it arrived, a duplicate of
    // the first would have arrived before it.
    await change(1, "tools");
    await change(0, "prompts");
    for (const stream of [onA, onB]) {
      await stream.waitFor(Prompts, 1);
      expect(stream.heard.map((h) => h.method)).toEqual([Tools, Prompts]);
      // Each frame carries the client's own subscription ID (its listen request's ID).
      expect(stream.heard.map((h) => h.subscriptionId)).toEqual(["listen:0", "listen:0"]);
    }
    // The stream that follows tools only heard the tools change, and nothing after it (its
    // replica's backend listen delivered the prompts change to the others already).
    expect(a.heard.map((h) => h.method)).toEqual([Tools]);
    expect(backend.openListens()).toBe(2);
  });

  it("delivers every change of a burst to the streams of both replicas, once each (p50/p99 latency)", async () => {
    const onA = await listen(0, { toolsListChanged: true, promptsListChanged: true });
    const onB = await listen(1, { toolsListChanged: true, promptsListChanged: true });
    const rounds = 100;
    const latencies: number[] = [];
    for (let i = 1; i <= rounds; i++) {
      const sentAt = performance.now();
      backend.notify.toolsChanged();
      await onA.waitFor(Tools, i);
      await onB.waitFor(Tools, i);
      latencies.push(
        (onA.of(Tools)[i - 1]?.at ?? 0) - sentAt,
        (onB.of(Tools)[i - 1]?.at ?? 0) - sentAt,
      );
    }
    backend.notify.promptsChanged();
    await onA.waitFor(Prompts, 1);
    await onB.waitFor(Prompts, 1);
    expect(onA.of(Tools)).toHaveLength(rounds);
    expect(onB.of(Tools)).toHaveLength(rounds);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    console.info(
      `listen delivery across 2 replicas, ${latencies.length} deliveries: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`,
    );
    expect(p99).toBeLessThan(1_000);
  });

  it("hands a resource update only to the streams that follow that URI", async () => {
    const filter = (uri: string) => ({ toolsListChanged: true, resourceSubscriptions: [uri] });
    const readmeOnA = await listen(0, filter(Readme));
    const itemOnA = await listen(0, filter(Item));
    const readmeOnB = await listen(1, filter(Readme));
    expect(readmeOnA.subscription.honoredFilter).toEqual(filter(Readme));

    await change(1, "resource", Readme);
    await change(0, "resource", Item);
    // The barrier: a change every stream follows, after both updates.
    await change(1, "tools");
    for (const stream of [readmeOnA, itemOnA, readmeOnB]) await stream.waitFor(Tools, 1);
    expect(readmeOnA.heard.map((h) => h.uri ?? h.method)).toEqual([Readme, Tools]);
    expect(readmeOnB.heard.map((h) => h.uri ?? h.method)).toEqual([Readme, Tools]);
    expect(itemOnA.heard.map((h) => h.uri ?? h.method)).toEqual([Item, Tools]);
    expect(readmeOnA.of(Updated, Readme)).toHaveLength(1);
  });

  it("listens again after the backend restarted: the streams are told to catch up, and later changes arrive", async () => {
    const onA = await listen(0, { toolsListChanged: true });
    const onB = await listen(1, { toolsListChanged: true });
    const port = Number(new URL(backend.url).port);
    await backend.close();
    // Down for a while: each replica's next listen fails, and is tried again with backoff.
    await waitUntil(
      () =>
        gateways.every((g) =>
          g.records().some((r) => String(r.msg).startsWith("backend listen failed")),
        ),
      5_000,
      "a failed listen on each replica",
    );
    backend = await startModernBackend("modern-a", { legacy: "reject", changes: true, port });
    // Each replica listens again; the first acknowledged listen after the gap tells the
    // streams that the lists may have changed meanwhile.
    await onA.waitFor(Tools, 1);
    await onB.waitFor(Tools, 1);
    await waitUntil(() => backend.openListens() === 2, 5_000, "both replicas listening again");
    await change(0, "tools");
    await onA.waitFor(Tools, 2);
    await onB.waitFor(Tools, 2);
    for (const gateway of gateways) {
      expect(
        gateway.records().filter((r) => String(r.msg).startsWith("backend listen open again")),
      ).toHaveLength(1);
    }
  });
});
