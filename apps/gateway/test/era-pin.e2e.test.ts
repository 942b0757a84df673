import type { Client } from "@modelcontextprotocol/client";
import { type RedisServer, startRedisServer } from "@vmcp/redis-harness";
import type { TestBackend } from "@vmcp/test-support";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verdictRecordId } from "../dist/http/mcp-2026-07-28/backends/verdict-record.js";
import { type LoggedGateway, startLoggedGateway } from "./helpers/in-process.js";
import { startV1MatrixBackend } from "./helpers/matrix-backends.js";
import { type ConnectedClient, connectClient, resultText } from "./helpers/mcp-client.js";
import { type ModernBackendFixture, startModernBackend } from "./helpers/modern-backends.js";
import { connectModernClient } from "./helpers/modern-client.js";

const BindingSecret = "era-pin-e2e-binding-secret";

/**
 * One gateway over a real Redis with three real backends: `old`, an SDK v1 (2025-era only)
 * backend pinned to `2025`; `new`, an SDK v2 modern-only backend (2025 traffic rejected) pinned
 * to `2026-07-28`; and `probed`, an SDK v1 backend left on `auto`, the control that shows what
 * probing sends and stores.
 */
describe("backends pinned to an era, end to end", () => {
  let redis: RedisServer;
  let keys: Redis;
  let old: TestBackend;
  let modern: ModernBackendFixture;
  let probed: TestBackend;
  let gateway: LoggedGateway;
  const legacyClients: ConnectedClient[] = [];
  const modernClients: Client[] = [];

  beforeAll(async () => {
    [redis, old, modern, probed] = await Promise.all([
      startRedisServer(),
      startV1MatrixBackend("old"),
      startModernBackend("new", { legacy: "reject" }),
      startV1MatrixBackend("probed"),
    ]);
    keys = new Redis(redis.url);
    gateway = await startLoggedGateway({
      store: { kind: "redis", url: redis.url },
      bindingSecret: BindingSecret,
      modern: { verdictTtlMs: 600_000 },
      backends: [
        { workloadId: "old", url: old.url, era: "2025" },
        { workloadId: "new", url: modern.url, era: "2026-07-28" },
        { workloadId: "probed", url: probed.url },
      ],
    });
  });

  afterAll(async () => {
    await Promise.all(legacyClients.map((c) => c.client.close()));
    await Promise.all(modernClients.map((c) => c.close()));
    await gateway?.close();
    keys?.disconnect();
    await Promise.all([old?.close(), modern?.close(), probed?.close()]);
    await redis?.close();
  });

  const legacyCall = async (name: string) => {
    const connected = await connectClient(gateway.url);
    legacyClients.push(connected);
    return resultText(await connected.client.callTool({ name, arguments: { count: 1 } }));
  };
  const modernCall = async (name: string) => {
    const client = await connectModernClient(gateway.url);
    modernClients.push(client);
    const result = await client.request({
      method: "tools/call",
      params: { name, arguments: { count: 1 } },
    });
    return resultText(result);
  };

  it("serves both client eras from both pinned backends, and neither is probed", async () => {
    expect(await legacyCall("old_steps")).toBe("1 steps done");
    expect(await legacyCall("new_steps")).toBe("1 steps done");
    expect(await modernCall("old_steps")).toBe("1 steps done");
    expect(await modernCall("new_steps")).toBe("1 steps done");
    expect(await modernCall("probed_steps")).toBe("1 steps done");

    // The 2025 pin: 2025-era sessions and pooled sessions initialize it; no server/discover ever.
    expect(old.methods.get("initialize")).toBeGreaterThanOrEqual(2);
    expect(old.methods.get("server/discover")).toBeUndefined();
    // The control on auto was probed: a discover that a 2025-era server refused.
    expect(probed.methods.get("server/discover")).toBeGreaterThanOrEqual(1);
    // The 2026-07-28 pin: one server/discover for its capabilities, never an initialize (a
    // 2025 POST) nor a DELETE of a probe's session.
    expect(modern.methods.get("server/discover")).toBe(1);
    expect(modern.methods.get("(2025)")).toBeUndefined();
    expect(modern.methods.get("(DELETE)")).toBeUndefined();
    expect(modern.methods.get("tools/call")).toBe(2);
  });

  it("keeps no verdict record for a pinned backend: the only vmcp.era.* key is the probed one's", async () => {
    const found = await keys.keys("*vmcp.era.*");
    const probedId = verdictRecordId({ url: probed.url }, BindingSecret);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(probedId);
  });

  it("a failed call on the 2026-07-28 pin asks server/discover again and never turns it into a 2025-era backend", async () => {
    const discovers = modern.methods.get("server/discover") ?? 0;
    modern.failNext(1);
    await expect(modernCall("new_steps")).rejects.toThrow();
    expect(await modernCall("new_steps")).toBe("1 steps done");
    expect(await legacyCall("new_steps")).toBe("1 steps done");
    expect(modern.methods.get("server/discover")).toBe(discovers + 1);
    expect(modern.methods.get("(2025)")).toBeUndefined();
    expect(await keys.keys("*vmcp.era.*")).toHaveLength(1);
  });

  it("a 2025-era server wrongly pinned to 2026-07-28 is left out for both client eras, never initialized", async () => {
    const mislabelled = await startV1MatrixBackend("mis");
    const wrong = await startLoggedGateway({
      backends: [
        { workloadId: "mis", url: mislabelled.url, era: "2026-07-28" },
        { workloadId: "old", url: old.url, era: "2025" },
      ],
    });
    try {
      const legacy = await connectClient(wrong.url);
      legacyClients.push(legacy);
      const legacyTools = (await legacy.client.listTools()).tools.map((t) => t.name);
      expect(legacyTools).toContain("old_steps");
      expect(legacyTools).not.toContain("mis_steps");
      const client = await connectModernClient(wrong.url);
      modernClients.push(client);
      const listed = (await client.request({ method: "tools/list", params: {} })) as {
        tools: { name: string }[];
      };
      expect(listed.tools.map((t) => t.name)).toContain("old_steps");
      expect(listed.tools.map((t) => t.name)).not.toContain("mis_steps");
      expect(mislabelled.methods.get("server/discover")).toBeGreaterThanOrEqual(1);
      expect(mislabelled.methods.get("initialize")).toBeUndefined();
      expect(wrong.records()).toContainEqual(
        expect.objectContaining({
          workloadId: "mis",
          era: "2026-07-28",
          msg: "backend pinned to 2026-07-28 did not answer server/discover: left out for now, never counted as 2025-era",
        }),
      );
    } finally {
      await wrong.close();
      await mislabelled.close();
    }
  });
});
