import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CallToolResultSchema, ResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { type RedisServer, startRedisServer, waitUntil } from "@vmcp/redis-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FeatureBackend, startAtlas, startBravo } from "./helpers/feature-backends.js";
import { type LoggedGateway, startLoggedGateway } from "./helpers/in-process.js";

const secret = "fidelity-replicas-binding-secret-42";

async function connect(url: string, sessionId?: string) {
  const transport = new StreamableHTTPClientTransport(
    new URL(`${url}/mcp`),
    sessionId === undefined ? {} : { sessionId },
  );
  const client = new Client(
    { name: "fidelity-replicas", version: "1.0.0" },
    { capabilities: { sampling: {}, elicitation: { form: {} } } },
  );
  await client.connect(transport);
  return { client, sessionId: transport.sessionId ?? "" };
}

describe("everything a backend offers, across two replicas sharing Redis, requests alternating", () => {
  let redis: RedisServer;
  let atlas: FeatureBackend;
  let bravo: FeatureBackend;
  let one: LoggedGateway;
  let two: LoggedGateway;

  beforeAll(async () => {
    [redis, atlas, bravo] = await Promise.all([startRedisServer(), startAtlas(), startBravo()]);
    const config = {
      bindingSecret: secret,
      store: { kind: "redis", url: redis.url },
      backends: [
        { workloadId: "atlas", url: atlas.url },
        { workloadId: "bravo", url: bravo.url },
      ],
    };
    [one, two] = await Promise.all([startLoggedGateway(config), startLoggedGateway(config)]);
  });
  afterAll(async () => {
    await Promise.all([one?.close(), two?.close()]);
    await Promise.all([atlas?.close(), bravo?.close()]);
    await redis?.close();
  });

  it("level and subscriptions set on one replica are applied again by the replica that restores; pages, completions, tasks and unsubscribe alternate", async () => {
    const a = await connect(one.url);
    const levelsBefore = atlas.state.levels.length;
    const subsBefore = atlas.state.subscriptions.length;
    await a.client.setLoggingLevel("error");
    await a.client.subscribeResource({ uri: "atlas://readme" });

    // Replica two has never seen the session: its first request restores it and re-applies both.
    const b = await connect(two.url, a.sessionId);
    const first = await b.client.listTools();
    expect(atlas.state.levels.slice(levelsBefore)).toEqual(["error", "error"]);
    expect(atlas.state.subscriptions.slice(subsBefore)).toEqual([
      "+atlas://readme",
      "+atlas://readme",
    ]);

    // Pages alternate: a cursor made by replica two is honoured by replica one and back.
    const names = first.tools.map((t) => t.name);
    let cursor = first.nextCursor;
    let onOne = true;
    while (cursor !== undefined) {
      const page = await (onOne ? a : b).client.listTools({ cursor });
      names.push(...page.tools.map((t) => t.name));
      cursor = page.nextCursor;
      onOne = !onOne;
    }
    expect(names.sort()).toEqual(
      ["atlas__echo", "bravo__echo", "a1", "a2", "a3", "a4", "slow-sum", "hold", "wait"].sort(),
    );

    // Completions and templated reads on either replica.
    const complete = {
      ref: { type: "ref/resource" as const, uri: "atlas://maps/{region}" },
      argument: { name: "region", value: "s" },
    };
    expect((await a.client.complete(complete)).completion.values).toEqual(["south"]);
    expect((await b.client.complete(complete)).completion.values).toEqual(["south"]);
    const read = await b.client.readResource({ uri: "shared://9" });
    expect(read.contents[0]).toMatchObject({ text: "atlas 9" });

    // A task made on replica one is served on replica two (which restored before it existed).
    const created = await a.client.request(
      {
        method: "tools/call",
        params: { name: "slow-sum", arguments: { a: 20, b: 22 }, task: { ttl: 60_000 } },
      },
      ResultSchema,
    );
    const taskId = (created.task as { taskId: string }).taskId;
    await waitUntil(
      "the task to complete",
      async () => {
        const task = await b.client.request(
          { method: "tasks/get", params: { taskId } },
          ResultSchema,
        );
        return task.status === "completed";
      },
      10_000,
    );
    const result = await b.client.request(
      { method: "tasks/result", params: { taskId } },
      CallToolResultSchema,
    );
    expect(result.content[0]).toMatchObject({ text: "42" });

    // Unsubscribe on replica two; the stored subscription is gone for replica one too.
    await b.client.unsubscribeResource({ uri: "atlas://readme" });
    expect(atlas.state.subscriptions.at(-1)).toBe("-atlas://readme");
    const stored = await one.gateway.storage.load(a.sessionId);
    expect(stored?.metadata["vmcp.subscription.atlas%3A%2F%2Freadme"]).toBeUndefined();
    expect(stored?.metadata["vmcp.logging.level"]).toBe("error");
    expect(stored?.metadata[`vmcp.task.${encodeURIComponent(taskId)}`]).toBe("bravo");
    await Promise.all([a.client.close(), b.client.close()]);
  });

  it("a cursor is refused by the other replica when the session differs", async () => {
    const a = await connect(one.url);
    const other = await connect(two.url);
    const page = await a.client.listTools();
    await expect(other.client.listTools({ cursor: page.nextCursor })).rejects.toMatchObject({
      code: -32602,
    });
    await Promise.all([a.client.close(), other.client.close()]);
  });
});
