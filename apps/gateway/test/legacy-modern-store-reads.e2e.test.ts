/**
 * A 2025-era client session reaching a modern-only backend costs one store read per request: the
 * session's `get` loads the record, and the log level each backend request carries comes from
 * that load (`SessionManager.storedMetadata`), not from a second one. Two replicas share one real
 * Redis through a storage that counts its loads; a level set on one replica still reaches the
 * backend on the other replica's next call.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { type RedisServer, startRedisServer } from "@vmcp/redis-harness";
import { RedisStorage } from "@vmcp/store-redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LoadCountingStorage } from "./helpers/counting-storage.js";
import { type LoggedGateway, startLoggedGateway } from "./helpers/in-process.js";
import { type ModernBackendFixture, startModernBackend } from "./helpers/modern-backends.js";

const BindingSecret = "legacy-modern-store-reads-binding-secret";
/** The envelope key of the log level a 2026-07-28 request carries. */
const LogLevelKey = "io.modelcontextprotocol/logLevel";

/** An SDK v1 client of one session on one replica, and every HTTP request it sent. */
interface SessionClient {
  readonly client: Client;
  readonly sessionId: string;
  /** Settles once every request it sent so far was answered (a GET stream: once it opened). */
  answered(): Promise<void>;
}

/**
 * An SDK v1 client on 2025-11-25 to `${url}/mcp`: a new session (`initialize`, then the SDK
 * opens its GET stream), or, with `sessionId`, the session another replica made (no
 * `initialize`, no GET stream).
 */
async function connectSession(url: string, sessionId?: string): Promise<SessionClient> {
  const sent: Promise<unknown>[] = [];
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
    ...(sessionId === undefined ? {} : { sessionId }),
    fetch: (input, init) => {
      const response = fetch(input, init);
      sent.push(response.catch(() => undefined));
      return response;
    },
  });
  const client = new Client({ name: "store-reads-e2e", version: "1.0.0" });
  await client.connect(transport);
  const id = transport.sessionId;
  if (id === undefined) throw new Error("the gateway returned no Mcp-Session-Id");
  return { client, sessionId: id, answered: async () => void (await Promise.all(sent)) };
}

describe("a 2025-era session's requests to a modern backend read the store once each", () => {
  let redis: RedisServer;
  let backend: ModernBackendFixture;
  let storage: LoadCountingStorage;
  const replicas: LoggedGateway[] = [];
  const clients: SessionClient[] = [];

  beforeAll(async () => {
    [redis, backend] = await Promise.all([
      startRedisServer(),
      startModernBackend("modern", { legacy: "reject" }),
    ]);
    storage = new LoadCountingStorage(new RedisStorage({ url: redis.url, timeoutMs: 10_000 }));
    const raw = {
      bindingSecret: BindingSecret,
      store: { kind: "redis", url: redis.url }, // the message bus; sessions go to `storage`
      // No GET-stream heartbeat within a test: each would be one more `get`, so one more load.
      limits: { streamHeartbeatMs: 600_000 },
      backends: [{ workloadId: "modern", url: backend.url }],
    };
    replicas.push(
      ...(await Promise.all([
        startLoggedGateway(raw, { storage }),
        startLoggedGateway(raw, { storage }),
      ])),
    );
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.client.close()));
    await Promise.all(replicas.map((r) => r.close()));
    await storage?.close();
    await backend?.close();
    await redis?.close();
  });

  /** One `echo` call through `via`; resolves the envelope the backend saw. */
  async function echo(via: SessionClient): Promise<Record<string, unknown> | undefined> {
    const result = await via.client.callTool({ name: "echo", arguments: { text: "hi" } });
    expect(result.content).toEqual([{ type: "text", text: "modern: hi" }]);
    return backend.callMetas.at(-1);
  }

  it("one load per tools/call, on the replica that made the session and on one that restored it", async () => {
    const first = await connectSession(replicas[0]?.url ?? "");
    const second = await connectSession(replicas[1]?.url ?? "", first.sessionId);
    clients.push(first, second);
    await echo(first);
    await echo(second); // replica 1 restores the session
    await first.answered(); // the GET stream (and its one load) is open before counting starts
    for (const via of [first, second]) {
      const before = storage.loadsOf(first.sessionId);
      for (let i = 0; i < 5; i++) await echo(via);
      expect(storage.loadsOf(first.sessionId) - before).toBe(5);
    }
  });

  it("a level set on replica 1 reaches the backend on replica 0's next call, and a change too", async () => {
    const onZero = await connectSession(replicas[0]?.url ?? "");
    const onOne = await connectSession(replicas[1]?.url ?? "", onZero.sessionId);
    clients.push(onZero, onOne);
    expect((await echo(onZero))?.[LogLevelKey]).toBeUndefined(); // none set yet

    await onOne.client.setLoggingLevel("debug");
    expect((await echo(onZero))?.[LogLevelKey]).toBe("debug");

    await onOne.client.setLoggingLevel("error");
    await onZero.answered();
    const before = storage.loadsOf(onZero.sessionId);
    expect((await echo(onZero))?.[LogLevelKey]).toBe("error");
    expect(storage.loadsOf(onZero.sessionId) - before).toBe(1);
  });
});
