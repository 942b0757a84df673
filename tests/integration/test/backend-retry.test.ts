import { randomBytes } from "node:crypto";
import { type RedisServer, requireRedisServer, startRedisServer } from "@vmcp/redis-harness";
import {
  MultiSessionFactory,
  SessionManager,
  type SessionStorage,
  UnknownToolError,
} from "@vmcp/session-core";
import { backendSessionKey, MetadataKeyBackendIds } from "@vmcp/session-keys";
import { MemoryStorage } from "@vmcp/store-memory";
import { RedisStorage } from "@vmcp/store-redis";
import { startMcpBackend, type TestBackend, waitUntil } from "@vmcp/test-support";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

requireRedisServer();

function text(result: { content: unknown }): string {
  return (result.content as Array<{ text?: string }>)[0]?.text ?? "";
}

let redis: RedisServer;
let alpha: TestBackend;
let beta: TestBackend;
beforeAll(async () => {
  [redis, alpha, beta] = await Promise.all([
    startRedisServer(),
    startMcpBackend("alpha"),
    startMcpBackend("beta"),
  ]);
});
afterAll(async () => {
  await Promise.all([alpha?.close(), beta?.close(), redis?.close()]);
});

const stores: Array<[string, () => { a: SessionStorage; b: SessionStorage }]> = [
  [
    "MemoryStorage",
    () => {
      const shared = new MemoryStorage();
      return { a: shared, b: shared };
    },
  ],
  [
    "RedisStorage (one connection per replica)",
    () => {
      const keyPrefix = `retry:${randomBytes(6).toString("hex")}:`;
      return {
        a: new RedisStorage({ url: redis.url, keyPrefix }),
        b: new RedisStorage({ url: redis.url, keyPrefix }),
      };
    },
  ],
];

describe.each(stores)("a backend unreachable during a restore, over %s", (_name, open) => {
  const cleanup: Array<() => Promise<void>> = [];
  beforeEach(async () => {
    await Promise.all([alpha.forgetSessions(), beta.forgetSessions()]);
    alpha.methods.clear();
    beta.methods.clear();
  });
  afterEach(async () => {
    await alpha.resume().catch(() => undefined);
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it("comes back on that replica within seconds of its return: both replicas serve the same tools, and storage never lost it", async () => {
    const storages = open();
    const replica = (storage: SessionStorage) => {
      const manager = new SessionManager({
        storage,
        factory: new MultiSessionFactory({
          backends: [alpha, beta].map((b) => ({
            workloadId: b.workloadId,
            transport: { kind: "streamable-http" as const, url: b.url },
          })),
          connectTimeoutMs: 2_000,
        }),
        backendRetry: { initialDelayMs: 200, maxDelayMs: 1_000 },
      });
      cleanup.push(() => manager.close());
      return manager;
    };
    cleanup.push(async () => {
      await storages.a.close();
      if (storages.b !== storages.a) await storages.b.close();
    });
    const a = replica(storages.a);
    const b = replica(storages.b);
    const session = await a.create();
    const toolNames = async (m: SessionManager) =>
      ((await (await m.get(session.id))?.listTools()) ?? []).map((t) => t.name).sort();
    const onA = await toolNames(a);
    expect(onA).toEqual(["alpha__echo", "beta__echo", "whoami_alpha", "whoami_beta"]);
    const alphaSession = alpha.sessionIds[0];

    await alpha.pause(); // connections refused while replica B restores the session
    const onB = await b.get(session.id);
    expect(onB?.backendIds).toEqual(["beta"]);
    await expect(onB?.callTool("whoami_alpha", {})).rejects.toBeInstanceOf(UnknownToolError);
    const during = await storages.a.load(session.id);
    expect(during?.metadata[MetadataKeyBackendIds]).toBe("alpha,beta");

    await alpha.resume();
    const took = await waitUntil(
      async () => JSON.stringify(await toolNames(b)) === JSON.stringify(onA),
      5_000,
    );
    expect(took).toBeLessThan(5_000);
    expect(await toolNames(a)).toEqual(await toolNames(b));
    // B reattached to the stored alpha session: no second initialize anywhere.
    const served = await b.get(session.id);
    expect(served && text(await served.callTool("whoami_alpha", {}))).toBe(`alpha|${alphaSession}`);
    expect(alpha.initializeCount).toBe(1);
    const after = await storages.b.load(session.id);
    expect(after?.metadata[MetadataKeyBackendIds]).toBe("alpha,beta");
    expect(after?.metadata[backendSessionKey("alpha")]).toBe(alphaSession);
  }, 20_000);
});
