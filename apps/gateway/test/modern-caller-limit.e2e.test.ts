/**
 * `limits.maxModernRequestsPerCaller`: each caller's MCP 2026-07-28 requests in flight on a
 * replica, refused beyond with 429 -32005 `VMCP_TOO_MANY_MODERN_REQUESTS`, per identity (or per
 * address when anonymous, loopback callers exempt as for the other per-caller limits), a slot
 * held until the response ends. Real gateways, a real SDK v2 backend whose `wait` tool holds a
 * call open until it is cancelled, SDK v2 clients.
 */
import type { Client } from "@modelcontextprotocol/client";
import { waitUntil } from "@vmcp/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LoggedGateway, startLoggedGateway } from "./helpers/in-process.js";
import { initializeBody, rawPost } from "./helpers/mcp-client.js";
import { type ModernBackendFixture, startModernBackend } from "./helpers/modern-backends.js";
import { connectModernClient, envelope, modernPost } from "./helpers/modern-client.js";

const Wait = "modern-a_wait";
const list = { id: 1, method: "tools/list", params: { _meta: envelope() } };

describe("per-caller bound on 2026-07-28 requests in flight", () => {
  let backend: ModernBackendFixture;
  let identified: LoggedGateway;
  let loopback: LoggedGateway;
  let limited: LoggedGateway;
  const clients: Client[] = [];
  const calls: AbortController[] = [];

  /** Starts a `wait` call with `key` through `client`, held open until its controller aborts. */
  const hold = (client: Client, key: string): AbortController => {
    const controller = new AbortController();
    calls.push(controller);
    client
      .request(
        { method: "tools/call", params: { name: Wait, arguments: { key } } },
        { signal: controller.signal },
      )
      .catch(() => undefined);
    return controller;
  };
  const started = (key: string) =>
    waitUntil(() => backend.started.includes(key), 10_000, `call ${key} reached the backend`);
  const connect = async (url: string, token?: string) => {
    const client = await connectModernClient(url, token === undefined ? {} : { token });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    backend = await startModernBackend("modern-a", { legacy: "reject" });
    const backends = [{ workloadId: "modern-a", url: backend.url }];
    [identified, loopback, limited] = await Promise.all([
      startLoggedGateway({
        backends,
        identity: {
          kind: "static",
          tokens: {
            "tok-alice": { issuer: "static", subject: "alice" },
            "tok-bob": { issuer: "static", subject: "bob" },
          },
        },
        limits: { maxModernRequestsPerCaller: 2 },
      }),
      // Listening on 127.0.0.1 with loopbackCallers auto: anonymous loopback callers are exempt.
      startLoggedGateway({ backends, limits: { maxModernRequestsPerCaller: 1 } }),
      startLoggedGateway({
        backends,
        limits: { maxModernRequestsPerCaller: 1, loopbackCallers: "limited" },
      }),
    ]);
  });

  afterAll(async () => {
    for (const call of calls) call.abort();
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all([identified?.close(), loopback?.close(), limited?.close()]);
    await backend?.close();
  });

  it("refuses an identity's request beyond its bound (429, Retry-After), not another identity's nor its 2025 session traffic, and frees the slot when a call ends", async () => {
    const alice = await connect(identified.url, "tok-alice");
    const first = hold(alice, "alice-1");
    hold(alice, "alice-2");
    await started("alice-1");
    await started("alice-2");

    const refused = await modernPost(identified.url, list, { authorization: "Bearer tok-alice" });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(refused.body).toMatchObject({
      jsonrpc: "2.0",
      id: null,
      error: {
        code: -32005,
        message: expect.stringContaining("2 MCP 2026-07-28 requests in flight (the limit is 2"),
        data: { code: "VMCP_TOO_MANY_MODERN_REQUESTS" },
      },
    });
    // Through the SDK v2 client too: its request fails.
    await expect(alice.request({ method: "tools/list", params: {} })).rejects.toThrow();

    const bob = await modernPost(identified.url, list, { authorization: "Bearer tok-bob" });
    expect(bob.status).toBe(200);
    // The bound is on 2026-07-28 requests: alice's 2025 session path is untouched.
    const session = await rawPost(identified.url, initializeBody(), {
      authorization: "Bearer tok-alice",
    });
    expect(session.status).toBe(200);

    // The first call ends (the caller cancels it): its slot is free again.
    first.abort();
    await waitUntil(() => backend.aborted.includes("alice-1"), 10_000, "alice-1 cancelled");
    await waitUntil(
      async () =>
        (await modernPost(identified.url, list, { authorization: "Bearer tok-alice" })).status ===
        200,
      10_000,
      "alice served again",
    );
  });

  it("exempts anonymous loopback callers on a gateway listening on loopback, and limits them by address when told to", async () => {
    const anonymous = await connect(loopback.url);
    hold(anonymous, "loopback-1");
    hold(anonymous, "loopback-2");
    await started("loopback-1");
    await started("loopback-2");
    expect((await modernPost(loopback.url, list)).status).toBe(200);

    const counted = await connect(limited.url);
    hold(counted, "limited-1");
    await started("limited-1");
    const refused = await modernPost(limited.url, list);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({
      error: { data: { code: "VMCP_TOO_MANY_MODERN_REQUESTS" } },
    });
  });
});
