import { type RedisServer, startRedisServer } from "@vmcp/redis-harness";
import { waitUntil } from "@vmcp/test-support";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { GatewayConfigError } from "../dist/errors.js";
import { type DemoBackends, startDemoBackends } from "./helpers/demo-backends.js";
import { type LoggedGateway, startLoggedGateway } from "./helpers/in-process.js";
import { type ConnectedClient, connectClient } from "./helpers/mcp-client.js";
import { runCli } from "./helpers/processes.js";

/** The test servers have databases 0 to 3 only. */
const Databases = 4;
const Password = "s3cret-redis-pass";

/** The HTTP status of `GET <base><path>`. */
async function statusOf(base: string, path: string): Promise<number> {
  return (await fetch(`${base}${path}`)).status;
}

describe("the store at startup (real gateway, SDK client, redis-server)", () => {
  let backends: DemoBackends;
  const servers: RedisServer[] = [];
  const gateways: LoggedGateway[] = [];
  const clients: ConnectedClient[] = [];
  const plain: Redis[] = [];

  beforeAll(async () => {
    backends = await startDemoBackends();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.client.close().catch(() => undefined)));
    await Promise.all(gateways.splice(0).map((g) => g.close()));
    for (const client of plain.splice(0)) client.disconnect();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    await backends?.stop();
  });

  const server = async (args: string[] = []) => {
    const started = await startRedisServer({ args: ["--databases", String(Databases), ...args] });
    servers.push(started);
    return started;
  };
  const gateway = async (url: string) => {
    const started = await startLoggedGateway({
      logLevel: "info",
      store: { kind: "redis", url },
      backends: [{ workloadId: "alpha", url: backends.alpha.url }],
    });
    gateways.push(started);
    return started;
  };
  const connect = async (url: string) => {
    const client = await connectClient(url);
    clients.push(client);
    return client;
  };
  const inspect = async (redis: RedisServer, db: number) => {
    const client = new Redis(redis.url, { db, lazyConnect: true, maxRetriesPerRequest: 1 });
    plain.push(client);
    await client.connect();
    return client;
  };

  it("Redis down at start: a warn line, /healthz 200, /readyz 503; once Redis is up, an info line, /readyz 200 and sessions work", async () => {
    const redis = await server();
    await redis.stop();
    const gw = await gateway(redis.url);

    const warnings = gw.records().filter((r) => r.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      msg: "session store unreachable at startup: /readyz answers 503 until it is reachable",
      store: `redis ${redis.url}`,
      reason: expect.stringContaining(`ECONNREFUSED 127.0.0.1:${redis.port}`),
    });
    // The warning comes before the gateway says it listens.
    const messages = gw.records().map((r) => r.msg);
    expect(messages.indexOf("gateway listening")).toBeGreaterThan(
      messages.indexOf(warnings[0]?.msg),
    );
    expect(await statusOf(gw.url, "/healthz")).toBe(200);
    expect(await statusOf(gw.url, "/readyz")).toBe(503);

    await redis.restart();
    await waitUntil(
      async () => (await statusOf(gw.url, "/readyz")) === 200,
      10_000,
      "/readyz 200 after Redis started",
      50,
    );
    await waitUntil(
      () => gw.records().some((r) => r.msg === "session store reachable" && r.level === 30),
      10_000,
      "the 'session store reachable' line",
    );
    // The 2026-07-28 listen streams' events on the bus: opened in the background once Redis is up.
    expect(gw.records().map((r) => r.msg)).toContain(
      "server events not open on the message bus: listen streams get this replica's events only until it is",
    );
    await waitUntil(
      () => gw.records().some((r) => r.msg === "server events open on the message bus"),
      10_000,
      "the 'server events open' line",
    );
    const client = await connect(gw.url);
    expect((await client.client.listTools()).tools.map((t) => t.name)).toContain("add");
  });

  it("Redis down at start and then up without the URL's database: an error line, and /readyz stays 503 naming the refusal", async () => {
    const redis = await server();
    await redis.stop();
    const gw = await gateway(`${redis.url}/${Databases}`);
    expect(gw.records().filter((r) => r.level === 40)).toHaveLength(1);

    await redis.restart();
    await waitUntil(
      () => gw.records().some((r) => r.msg === "session store refuses the configuration"),
      10_000,
      "the 'session store refuses the configuration' line",
    );
    expect(gw.records().find((r) => r.level === 50)).toMatchObject({
      msg: "session store refuses the configuration",
      store: `redis ${redis.url}/${Databases}`,
      reason: expect.stringContaining(`Redis refused database ${Databases}`),
    });
    const ready = await fetch(`${gw.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({
      store: expect.stringContaining(`Redis refused database ${Databases}`),
    });
    expect(gw.records().some((r) => r.msg === "session store reachable")).toBe(false);
  });

  it("a database index in the URL is honoured by the gateway and by `sessions list`", async () => {
    const redis = await server();
    const gw = await gateway(`${redis.url}/3`);
    const { sessionId } = await connect(gw.url);
    const key = `vmcp:session:{${sessionId}}`;
    expect(await (await inspect(redis, 3)).exists(key)).toBe(1);
    expect(await (await inspect(redis, 0)).exists(key)).toBe(0);

    const listed = async (url: string) => {
      const run = await runCli(["sessions", "list", "--json", "--redis-url", url]);
      expect(run.code, run.stderr).toBe(0);
      // Client sessions only: the backends' era verdict records (`vmcp.era.*`) live there too.
      return (JSON.parse(run.stdout) as { id: string }[])
        .map((s) => s.id)
        .filter((id) => !id.startsWith("vmcp.era."));
    };
    expect(await listed(`${redis.url}/3`)).toEqual([sessionId]);
    expect(await listed(`${redis.url}/0`)).toEqual([]);
  });

  it("an index the server lacks is refused at startup, and by `sessions`, naming the URL without its password", async () => {
    const redis = await server(["--requirepass", Password]);
    const url = `redis://:${Password}@127.0.0.1:${redis.port}/${Databases}`;
    const shown = `redis redis://:***@127.0.0.1:${redis.port}/${Databases}`;
    const expected = `invalid configuration: store.url: ${shown}: Redis refused database ${Databases} (ERR DB index is out of range)`;

    const refused = await gateway(url).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(GatewayConfigError);
    expect((refused as Error).message).toContain(expected);
    expect((refused as Error).message).not.toContain(Password);

    const run = await runCli(["sessions", "list", "--redis-url", url]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`vmcp-gateway: ${expected}`);
    expect(run.stderr).not.toContain(Password);
    // Nothing was written to database 0 meanwhile.
    const zero = new Redis(redis.url, { password: Password, lazyConnect: true });
    plain.push(zero);
    await zero.connect();
    expect(await zero.dbsize()).toBe(0);
  });
});
