import { type RedisServer, startRedisServer } from "@vmcp/redis-harness";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LoggedGateway, startLoggedGateway } from "./helpers/in-process.js";
import { initializeBody, rawPost } from "./helpers/mcp-client.js";

const listBody = JSON.stringify({ jsonrpc: "2.0", id: 5, method: "tools/list" });

describe("store failures as two replicas on one Redis see them", () => {
  let redis: RedisServer;
  let client: Redis;
  let a: LoggedGateway;
  let b: LoggedGateway;

  beforeAll(async () => {
    redis = await startRedisServer();
    client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    const config = { store: { kind: "redis", url: redis.url } };
    [a, b] = await Promise.all([startLoggedGateway(config), startLoggedGateway(config)]);
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    client?.disconnect();
    await redis?.close();
  });

  const initialize = async (on: LoggedGateway): Promise<string> => {
    const init = await rawPost(on.url, initializeBody());
    expect(init.status).toBe(200);
    return init.headers.get("mcp-session-id") ?? "";
  };

  it("a corrupt stored session is the same typed 500 (-32006) on the replica holding it live and on the other", async () => {
    const listCorrupt = await initialize(a);
    expect((await rawPost(a.url, listBody, { "mcp-session-id": listCorrupt })).status).toBe(200);
    await client.hset(`vmcp:session:{${listCorrupt}}`, "m:vmcp.backend.ids", "alpha,,beta");

    const wrongType = await initialize(a);
    await client.del(`vmcp:session:{${wrongType}}`);
    await client.set(`vmcp:session:{${wrongType}}`, "not a session hash");

    for (const id of [listCorrupt, wrongType]) {
      for (const replica of [a, b]) {
        const reply = await rawPost(replica.url, listBody, { "mcp-session-id": id });
        expect(reply.status, `${id} on ${replica.url}`).toBe(500);
        expect(reply.body).toMatchObject({
          jsonrpc: "2.0",
          error: { code: -32006, data: { code: "VMCP_SESSION_DECODE" } },
        });
      }
    }
  });

  it("Redis unreachable: a 503 is one warn line with the operation and the node, no stack, no error line", async () => {
    const id = await initialize(b);
    const before = b.lines().length;
    redis.pause();
    try {
      const reply = await rawPost(b.url, listBody, { "mcp-session-id": id });
      expect(reply.status).toBe(503);
    } finally {
      redis.resume();
    }
    const fresh = b.records().slice(before);
    expect(fresh.filter((r) => (r.level as number) >= 50)).toEqual([]);
    const warnings = fresh.filter((r) => r.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      msg: "session store unavailable",
      status: 503,
      code: "VMCP_STORAGE_UNAVAILABLE",
      operation: "load",
      node: expect.stringContaining(`127.0.0.1:${redis.port}`),
    });
    expect(JSON.stringify(warnings[0])).not.toMatch(/stack|\n {4}at /);
    expect((await rawPost(b.url, listBody, { "mcp-session-id": id })).status).toBe(200);
  });
});
