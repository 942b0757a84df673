/**
 * The bounds of `subscriptions/listen` on one replica, through a real gateway in front of a real
 * SDK v2 backend that announces changes: keep-alive comments on the stream, the spec's in-band
 * -32603 "Subscription limit reached" past `modern.maxSubscriptions` and past
 * `modern.maxResourceSubscriptions`, and the graceful end of every stream (and of the gateway's
 * own backend listens) at shutdown.
 */
import { waitUntil } from "@vmcp/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LoggedGateway, startLoggedGateway } from "./helpers/in-process.js";
import { type ListenStream, listenRequest, openListenStream } from "./helpers/listen-streams.js";
import { type ModernBackendFixture, startModernBackend } from "./helpers/modern-backends.js";
import { ModernRevision, modernPost } from "./helpers/modern-client.js";

const KeepAliveMs = 50;
const Refused = { code: -32603, message: "Subscription limit reached" };

describe("subscriptions/listen bounds on one replica", () => {
  let backend: ModernBackendFixture;
  let gateway: LoggedGateway;
  const streams: ListenStream[] = [];

  const listen = async (filter: Parameters<typeof openListenStream>[1]) => {
    const stream = await openListenStream(gateway.url, filter);
    streams.push(stream);
    return stream;
  };

  beforeAll(async () => {
    backend = await startModernBackend("modern-a", { legacy: "reject", changes: true });
    gateway = await startLoggedGateway({
      modern: { maxSubscriptions: 3, maxResourceSubscriptions: 2, keepAliveMs: KeepAliveMs },
      backends: [{ workloadId: "modern-a", url: backend.url }],
    });
  });

  afterAll(async () => {
    await Promise.all(streams.map((s) => s.close()));
    await gateway?.close();
    await backend?.close();
  });

  it("sends a keep-alive comment on an open listen stream every keepAliveMs", async () => {
    const abort = new AbortController();
    const response = await fetch(`${gateway.url}/mcp`, {
      method: "POST",
      signal: abort.signal,
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": ModernRevision,
        "mcp-method": "subscriptions/listen",
      },
      body: JSON.stringify({ jsonrpc: "2.0", ...listenRequest(1, { toolsListChanged: true }) }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    while ((text.match(/^: keepalive$/gm) ?? []).length < 2) {
      const next = await reader.read();
      if (next.done) break;
      text += decoder.decode(next.value, { stream: true });
    }
    abort.abort();
    await reader.cancel().catch(() => undefined);
    // The acknowledgement first, then the comments.
    expect(text.indexOf("notifications/subscriptions/acknowledged")).toBeLessThan(
      text.indexOf(": keepalive"),
    );
    expect((text.match(/^: keepalive$/gm) ?? []).length).toBeGreaterThanOrEqual(2);
  });

  it("refuses a stream whose new resource URIs would pass maxResourceSubscriptions, in band", async () => {
    const both = await listen({ resourceSubscriptions: ["modern-a://readme", "modern-a://x"] });
    expect(both.subscription.honoredFilter.resourceSubscriptions).toHaveLength(2);
    const refused = await modernPost(
      gateway.url,
      listenRequest(7, { resourceSubscriptions: ["modern-a://y"] }),
    );
    expect(refused.status).toBe(200);
    expect(refused.body).toEqual({ jsonrpc: "2.0", id: 7, error: Refused });
    // URIs the replica follows already cost nothing.
    await listen({ resourceSubscriptions: ["modern-a://readme"] });
  });

  it("refuses a stream past maxSubscriptions with -32603, and takes one again once a stream closed", async () => {
    const third = await listen({ toolsListChanged: true });
    const refused = await modernPost(gateway.url, listenRequest(8, { toolsListChanged: true }));
    expect(refused.status).toBe(200);
    expect(refused.body).toEqual({ jsonrpc: "2.0", id: 8, error: Refused });
    await third.close();
    streams.splice(streams.indexOf(third), 1);
    await waitUntil(
      async () => {
        try {
          await listen({ toolsListChanged: true });
          return true;
        } catch {
          return false;
        }
      },
      5_000,
      "a listen taken after one closed",
      25,
    );
  });

  it("ends every listen stream with its graceful result at shutdown, and its own backend listens", async () => {
    await waitUntil(() => backend.openListens() === 1, 5_000, "the gateway's backend listen");
    expect(streams).toHaveLength(3);
    await gateway.close();
    for (const stream of streams) expect(await stream.subscription.closed).toBe("graceful");
    await waitUntil(() => backend.openListens() === 0, 5_000, "the backend listen closed");
  });
});
