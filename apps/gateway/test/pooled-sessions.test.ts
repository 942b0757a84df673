/**
 * The parts of pooled backend sessions, over a real SDK v1 backend and session-core's reference
 * storage: the ID derivation, a 2026-07-28 backend's stand-in turning into a real backend session
 * when its verdict turns 2025-era, two replicas racing to make one caller's session, and the
 * relay of a backend's own messages.
 */
import type { DiscoverResult } from "@modelcontextprotocol/client";
import { McpBackendConnector, type SessionOwner } from "@vmcp/session-core";
import { ReferenceStorage } from "@vmcp/session-core/testing";
import { startMcpBackend, type TestBackend } from "@vmcp/test-support";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ModernBackendSet } from "../dist/http/mcp-2026-07-28/backends/modern-backends.js";
import type { BackendVerdict } from "../dist/http/mcp-2026-07-28/backends/verdict-record.js";
import { createPool, type Pool } from "../dist/http/mcp-2026-07-28/pool/create-pool.js";
import {
  canonicalJson,
  PooledSessionPrefix,
  pooledSessionId,
} from "../dist/http/mcp-2026-07-28/pool/pool-key.js";
import { PooledMessages } from "../dist/http/mcp-2026-07-28/pool/pooled-messages.js";
import { createLogger } from "../dist/logger.js";
import { makePooledServer } from "./helpers/pooled-backends.js";

const alice: SessionOwner = { issuer: "static", subject: "alice" };
const Secret = "pooled-sessions-unit-secret";
const Discover = {
  supportedVersions: ["2026-07-28"],
  capabilities: { tools: {} },
  serverInfo: { name: "x", version: "1" },
} as unknown as DiscoverResult;

/** A 2026-07-28 request body declaring `capabilities`. */
function body(method: string, capabilities: Record<string, unknown> = {}) {
  return {
    jsonrpc: "2.0",
    id: 1,
    method,
    params: {
      _meta: {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": capabilities,
        "io.modelcontextprotocol/clientInfo": { name: "unit", version: "1" },
      },
    },
  };
}

describe("pooled session IDs", () => {
  it("are one per key, identity and capability set, whatever the capabilities' key order", () => {
    expect(canonicalJson({ b: 1, a: { d: [{ f: 1, e: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[{"e":2,"f":1}]},"b":1}',
    );
    const id = pooledSessionId(Secret, alice, { sampling: {}, elicitation: { form: {} } });
    expect(id).toMatch(/^vmcp\.pool\.[A-Za-z0-9_-]{43}$/);
    expect(id.startsWith(PooledSessionPrefix)).toBe(true);
    expect(pooledSessionId(Secret, alice, { elicitation: { form: {} }, sampling: {} })).toBe(id);
    for (const other of [
      pooledSessionId(Secret, alice, { sampling: {} }),
      pooledSessionId(Secret, { issuer: "static", subject: "bob" }, {}),
      pooledSessionId(Secret, { issuer: "other", subject: "alice" }, {}),
      pooledSessionId("another-secret", alice, { sampling: {}, elicitation: { form: {} } }),
    ]) {
      expect(other).not.toBe(id);
    }
  });
});

describe("pooled backend sessions over a real 2025-era backend", () => {
  let legacy: TestBackend;
  const verdicts = new Map<string, BackendVerdict>();
  const opened: { pool: Pool; connector: McpBackendConnector }[] = [];

  beforeAll(async () => {
    legacy = await startMcpBackend("legacy-a", { makeServer: makePooledServer });
  });

  afterEach(async () => {
    for (const { pool, connector } of opened.splice(0)) {
      await pool.close();
      await connector.close();
    }
    verdicts.clear();
  });

  afterAll(async () => {
    await legacy?.close();
  });

  function replica(storage: ReferenceStorage, messages = new PooledMessages()): Pool {
    const connector = new McpBackendConnector({ messages });
    const pool = createPool({
      settings: { pooledSessionTtlMs: 60_000, maxPooledSessions: 8, maxPooledSessionsPerCaller: 2 },
      parts: {
        connector,
        targets: [
          { workloadId: "old-a", url: legacy.url },
          { workloadId: "flip-b", url: legacy.url },
        ].map(({ workloadId, url }) => ({
          workloadId,
          transport: { kind: "streamable-http" as const, url },
        })),
        messages,
        factory: { connectTimeoutMs: 5_000 },
        manager: {},
      },
      storage,
      backends: [
        { workloadId: "old-a", url: legacy.url },
        { workloadId: "flip-b", url: legacy.url },
      ],
      era: (workloadId) => verdicts.get(workloadId),
      bindingSecret: Secret,
      retryMs: 1_000,
      log: createLogger("silent"),
    });
    opened.push({ pool, connector });
    return pool;
  }

  /** `pool`'s set for one request of alice's (`method`), and what `during` did with it. */
  async function extended<T>(
    pool: Pool,
    during: (set: ModernBackendSet) => Promise<T>,
    method = "tools/list",
  ): Promise<T> {
    let outcome: T | undefined;
    await pool.requests.around(alice, body(method), async () => {
      outcome = await during(await pool.legacy.extend({ backends: [], key: "modern" }));
    });
    return outcome as T;
  }

  it("records a 2026-07-28 backend without a backend session, and connects it for real once its verdict turns 2025-era", async () => {
    const storage = new ReferenceStorage();
    const pool = replica(storage);
    verdicts.set("old-a", { kind: "legacy", storedAt: 1 });
    verdicts.set("flip-b", { kind: "modern", discover: Discover, storedAt: 1 });
    const initialized = legacy.initializeCount;
    const set = await extended(pool, async (s) => s);
    // flip-b is served statelessly (it is no pooled backend of the set); old-a has its session.
    expect(set.backends.map((b) => b.workloadId)).toEqual(["old-a"]);
    expect(legacy.initializeCount).toBe(initialized + 1);
    const id = pooledSessionId(Secret, alice, {});
    expect((await storage.load(id))?.metadata).toMatchObject({
      "vmcp.session.pool": "2026-07-28",
      "vmcp.backend.ids": "flip-b,old-a",
      "vmcp.backend.session.flip-b": "",
      "vmcp.backend.protocol.flip-b": "2026-07-28",
      "vmcp.backend.session.old-a": expect.stringMatching(/.+/),
      "vmcp.identity.subject": "alice",
    });

    verdicts.set("flip-b", { kind: "legacy", storedAt: 2 });
    const text = await extended(
      pool,
      async (s) => {
        expect(s.backends.map((b) => b.workloadId)).toEqual(["flip-b", "old-a"]);
        expect(s.key).not.toBe("modern");
        const result = await s.backends[0]?.pooled?.call(
          "tools/call",
          { name: "legacy-a_whoami", arguments: {} },
          {
            meta: { meta: {}, logs: false },
            signal: new AbortController().signal,
            notify: async () => {},
            timeoutMs: 5_000,
          },
        );
        const content = (result?.content ?? []) as { text?: string }[];
        return content[0]?.text ?? "";
      },
      "tools/call",
    );
    // Connected through the session's recovery: one initialize, its backend session written back.
    expect(legacy.initializeCount).toBe(initialized + 2);
    const sessionId = text.split("|")[1];
    expect(sessionId).toMatch(/.+/);
    expect((await storage.load(id))?.metadata).toMatchObject({
      "vmcp.backend.session.flip-b": sessionId,
      "vmcp.backend.protocol.flip-b": expect.stringMatching(/^2025-/),
    });
  });

  it("two replicas racing for one caller's session end with one record and one backend session", async () => {
    verdicts.set("old-a", { kind: "legacy", storedAt: 1 });
    verdicts.set("flip-b", { kind: "modern", discover: Discover, storedAt: 1 });
    const storage = new ReferenceStorage();
    const [a, b] = [replica(storage), replica(storage)];
    const before = new Set(legacy.sessionIds);
    const ids = await Promise.all(
      [a, b].map((pool) =>
        extended(pool, async (set) => {
          expect(set.backends.map((x) => x.workloadId)).toEqual(["old-a"]);
          return pool.sessions.liveCount;
        }),
      ),
    );
    expect(ids).toEqual([1, 1]);
    const pooled: string[] = [];
    for await (const id of storage.listIds())
      if (id.startsWith(PooledSessionPrefix)) pooled.push(id);
    expect(pooled).toEqual([pooledSessionId(Secret, alice, {})]);
    // The loser of the race ended the backend session it had made.
    const made = legacy.sessionIds.filter((s) => !before.has(s));
    expect(made).toEqual([
      (await storage.load(pooled[0] as string))?.metadata["vmcp.backend.session.old-a"],
    ]);
  });
});

describe("PooledMessages", () => {
  it("relays progress by the gateway's own token under the caller's, logs only to a caller that set a level, and refuses server-to-client requests", async () => {
    const messages = new PooledMessages();
    const sessionId = `${PooledSessionPrefix}x`;
    const origin = { sessionId, workloadId: "w" };
    const seen: unknown[] = [];
    let progressed = 0;
    const scope = {
      sessionId,
      workloadId: "w",
      logs: true,
      notify: async (n: unknown) => {
        seen.push(n);
      },
      callerToken: "caller-7",
      onProgress: () => {
        progressed++;
      },
    };
    expect(messages.owns(sessionId)).toBe(true);
    expect(messages.owns("plain-session")).toBe(false);
    await messages.run(scope, async (token) => {
      expect(token).toMatch(/^vmcp-pool-\d+$/);
      messages.notification(origin, {
        method: "notifications/progress",
        params: { progressToken: token, progress: 1, total: 2 },
      });
      // Another call's token, or another session's: not this caller's.
      messages.notification(origin, {
        method: "notifications/progress",
        params: { progressToken: "vmcp-pool-999999", progress: 1 },
      });
      messages.notification(
        { sessionId: `${PooledSessionPrefix}y`, workloadId: "w" },
        { method: "notifications/progress", params: { progressToken: token, progress: 9 } },
      );
      messages.notification(origin, { method: "notifications/message", params: { data: "log" } });
      messages.notification(origin, { method: "notifications/tools/list_changed" });
    });
    // Outside any call: dropped.
    messages.notification(origin, { method: "notifications/message", params: { data: "late" } });
    await messages.run({ ...scope, logs: false }, async () => {
      messages.notification(origin, { method: "notifications/message", params: { data: "quiet" } });
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([
      {
        method: "notifications/progress",
        params: { progressToken: "caller-7", progress: 1, total: 2 },
      },
      { method: "notifications/message", params: { data: "log" } },
    ]);
    expect(progressed).toBe(1);
    // Outside a call that takes them (a parkable call's `input`): refused.
    await expect(
      messages.request(origin, { method: "sampling/createMessage" }, new AbortController().signal),
    ).rejects.toMatchObject({ code: -32601, data: { code: "VMCP_UNSUPPORTED_REQUEST" } });
    // Inside one: handed to it, and its refusal reaches the backend as a JSON-RPC error.
    const taken: string[] = [];
    await messages.run(
      {
        ...scope,
        input: async (message) => {
          taken.push(message.method);
          throw Object.assign(new Error("full"), { code: -32005 });
        },
      },
      () =>
        expect(
          messages.request(origin, { method: "roots/list" }, new AbortController().signal),
        ).rejects.toMatchObject({ code: -32005 }),
    );
    expect(taken).toEqual(["roots/list"]);
  });
});
