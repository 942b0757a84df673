/**
 * Issue 21, part 1, across replicas: SDK v2 clients pinned to 2026-07-28, behind a round-robin
 * proxy in front of two gateways on one real Redis, reach a 2025-era SDK v1 backend over HTTP and
 * a stdio backend through pooled backend sessions (and a 2026-07-28 backend statelessly): the
 * record is in Redis with the seed's metadata, each caller's backend session is made once and
 * reused by both replicas, never shared with another identity, made again when the backend
 * expires it, and shown as pooled by the sessions CLI.
 */
import type { Client } from "@modelcontextprotocol/client";
import { type RedisServer, startRedisServer } from "@vmcp/redis-harness";
import type { SessionRecord, SessionStorage } from "@vmcp/session-core";
import {
  startMcpBackend,
  stdioBackendScript,
  type TestBackend,
  waitUntil,
} from "@vmcp/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verdictRecordId } from "../dist/http/mcp-2026-07-28/backends/verdict-record.js";
import { type LoggedGateway, startLoggedGateway } from "./helpers/in-process.js";
import { rawPost, resultText } from "./helpers/mcp-client.js";
import { type ModernBackendFixture, startModernBackend } from "./helpers/modern-backends.js";
import { connectModernClient, ModernRevision } from "./helpers/modern-client.js";
import { AskFailedPrefix, makePooledServer } from "./helpers/pooled-backends.js";
import { runCli } from "./helpers/processes.js";
import { type RoundRobinProxy, startRoundRobinProxy } from "./helpers/round-robin-proxy.js";

const BindingSecret = "modern-pooled-replicas-binding-secret";
const Tokens = {
  "tok-alice": { issuer: "static", subject: "alice" },
  "tok-bob": { issuer: "static", subject: "bob" },
};

type Result = Record<string, unknown>;

/** Every pooled backend session record in the store. */
async function pooledRecords(storage: SessionStorage): Promise<SessionRecord[]> {
  const records: SessionRecord[] = [];
  for await (const id of storage.listIds()) {
    if (!id.startsWith("vmcp.pool.")) continue;
    const record = await storage.load(id);
    if (record !== undefined) records.push(record);
  }
  return records;
}

function ownedBy(records: readonly SessionRecord[], subject: string): SessionRecord[] {
  return records.filter((r) => r.metadata["vmcp.identity.subject"] === subject);
}

/** Every tool name of the gateway's `tools/list`, all pages. */
async function toolNames(client: Client): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const page = (await client.request({
      method: "tools/list",
      params: cursor === undefined ? {} : { cursor },
    })) as Result;
    names.push(...(page.tools as { name: string }[]).map((t) => t.name));
    cursor = page.nextCursor as string | undefined;
  } while (cursor !== undefined);
  return names;
}

async function whoami(client: Client): Promise<string> {
  const result = await client.request({
    method: "tools/call",
    params: { name: "legacy-a_whoami", arguments: {} },
  });
  return resultText(result);
}

describe("2026-07-28 clients reach 2025-era and stdio backends through pooled backend sessions, on two replicas sharing Redis", () => {
  let redis: RedisServer;
  let legacy: TestBackend;
  let modern: ModernBackendFixture;
  const gateways: LoggedGateway[] = [];
  let proxy: RoundRobinProxy;
  const clients: Client[] = [];
  /** `initialize` requests legacy-a had seen once alice's pooled session existed. */
  let initializedForAlice = 0;
  let aliceBackendSession = "";

  const connect = async (token: string, capabilities?: Record<string, unknown>) => {
    const client = await connectModernClient(proxy.url, {
      token,
      ...(capabilities === undefined ? {} : { capabilities }),
    });
    clients.push(client);
    return client;
  };
  const storage = () => (gateways[0] as LoggedGateway).gateway.storage;

  beforeAll(async () => {
    [redis, legacy, modern] = await Promise.all([
      startRedisServer(),
      startMcpBackend("legacy-a", { makeServer: makePooledServer }),
      startModernBackend("modern-c", { legacy: "reject" }),
    ]);
    for (let i = 0; i < 2; i++) {
      gateways.push(
        await startLoggedGateway({
          store: { kind: "redis", url: redis.url },
          bindingSecret: BindingSecret,
          identity: { kind: "static", tokens: Tokens },
          backends: [
            { workloadId: "legacy-a", url: legacy.url },
            { workloadId: "stdio-b", command: process.execPath, args: [stdioBackendScript] },
            { workloadId: "modern-c", url: modern.url },
          ],
        }),
      );
    }
    proxy = await startRoundRobinProxy(gateways.map((g) => g.url));
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await proxy?.close();
    for (const gateway of gateways) await gateway.close();
    await Promise.all([legacy?.close(), modern?.close()]);
    await redis?.close();
  });

  it("lists and calls the 2025-era and stdio backends beside the 2026-07-28 one; one backend session, made once, serves every request on both replicas", async () => {
    // discover on replica 0: the era probe and the pooled session's own initialize.
    const alice = await connect("tok-alice");
    initializedForAlice = legacy.initializeCount;
    expect(alice.getDiscoverResult()?.instructions).toContain("## legacy-a\nlegacy-a (2025)");

    // From here on the requests alternate between the replicas.
    const names = await toolNames(alice);
    expect(names).toEqual([
      "legacy-a__echo",
      "legacy-a_whoami",
      "legacy-a_steps",
      "legacy-a_ask",
      "modern-c__echo",
      "modern-c_steps",
      "modern-c_ask",
      "modern-c_wait",
      "shout",
      "log",
      "tell",
      "wait",
      "pid",
    ]);

    const progress: unknown[] = [];
    const logs: unknown[] = [];
    alice.setNotificationHandler("notifications/message", (n) => {
      logs.push(n.params.data);
    });
    const steps = await alice.request(
      {
        method: "tools/call",
        params: {
          name: "legacy-a_steps",
          arguments: { count: 3 },
          _meta: { "io.modelcontextprotocol/logLevel": "info" },
        },
      },
      { onprogress: (p) => progress.push(p) },
    );
    expect(resultText(steps)).toBe("3 steps done");
    expect(progress).toEqual(
      [1, 2, 3].map((i) => ({ progress: i, total: 3, message: `step ${i}` })),
    );
    expect(logs).toEqual(["log 1", "log 2", "log 3"]);

    const echoed = await alice.request({
      method: "tools/call",
      params: { name: "legacy-a__echo", arguments: { text: "hi" } },
    });
    expect(resultText(echoed)).toBe("legacy-a: hi");
    const shouted = await alice.request({
      method: "tools/call",
      params: { name: "shout", arguments: { text: "hi" } },
    });
    expect(resultText(shouted)).toMatch(/^HI from \d+$/);

    // The same backend session on both replicas: replica 1 restored it without an initialize.
    const first = await whoami(alice);
    const second = await whoami(alice);
    expect(second).toBe(first);
    const [one, two] = proxy.requests.slice(-2).map((r) => r.replica);
    expect(one).not.toBe(two);
    aliceBackendSession = first.split("|")[1] ?? "";
    expect(aliceBackendSession).not.toBe("");
    expect(legacy.initializeCount).toBe(initializedForAlice);
    expect(new Set(proxy.requests.map((r) => r.replica))).toEqual(new Set([0, 1]));

    // A list made from 2025-era pages (which carry no caching hint) is never to be reused.
    expect(await alice.request({ method: "tools/list", params: {} })).toMatchObject({
      ttlMs: 0,
      cacheScope: "private",
    });
  });

  it("keeps the pooled session in Redis with the seed's metadata, the binding and the pool marker; the 2026-07-28 backend is named with its protocol and no backend session", async () => {
    const [record, ...others] = ownedBy(await pooledRecords(storage()), "alice");
    expect(others).toEqual([]);
    expect(record?.metadata).toMatchObject({
      "vmcp.session.pool": ModernRevision,
      "vmcp.backend.ids": "legacy-a,modern-c,stdio-b",
      "vmcp.backend.session.legacy-a": aliceBackendSession,
      "vmcp.backend.protocol.legacy-a": expect.stringMatching(/^2025-/),
      "vmcp.backend.session.modern-c": "",
      "vmcp.backend.protocol.modern-c": ModernRevision,
      "vmcp.backend.session.stdio-b": "",
      "vmcp.identity.issuer": "static",
      "vmcp.identity.subject": "alice",
      "vmcp.identity.binding": expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      "vmcp.client.protocol_version": ModernRevision,
      "vmcp.client.capabilities": JSON.stringify({ elicitation: { form: {} } }),
    });
    expect(record?.id).toMatch(/^vmcp\.pool\.[A-Za-z0-9_-]{43}$/);
    // The idle TTL (30 min by default), slid by use.
    expect(record?.expiresAt).toBeGreaterThan(Date.now() + 25 * 60_000);

    // The 2025-era verdict that sends legacy-a through pooled sessions, shared by both replicas.
    const verdict = await storage().load(verdictRecordId({ url: legacy.url }, BindingSecret));
    expect(JSON.parse(verdict?.metadata["vmcp.backend.era"] ?? "{}")).toMatchObject({
      kind: "legacy",
    });
    const notices = gateways.flatMap((g) =>
      g
        .records()
        .filter(
          (r) =>
            r.msg ===
            "backend speaks 2025-era MCP only: 2026-07-28 clients reach it through pooled backend sessions",
        )
        .map((r) => r.workloadId),
    );
    expect(notices).toEqual(["legacy-a", "legacy-a"]);
  });

  it("never shares a pooled session between identities, and keeps one per declared capability set", async () => {
    const bob = await connect("tok-bob");
    const bobs = await whoami(bob);
    expect(bobs).toMatch(/^legacy-a\|/);
    expect(bobs).not.toBe(`legacy-a|${aliceBackendSession}`);
    expect(legacy.initializeCount).toBe(initializedForAlice + 1);
    const records = await pooledRecords(storage());
    expect(ownedBy(records, "alice")).toHaveLength(1);
    const [bobRecord] = ownedBy(records, "bob");
    expect(bobRecord?.metadata["vmcp.backend.session.legacy-a"]).toBe(bobs.split("|")[1]);
    expect(bobRecord?.id).not.toBe(ownedBy(records, "alice")[0]?.id);

    // Alice again, declaring sampling: a backend session of its own, whose tools depend on it.
    const sampling = await connect("tok-alice", { sampling: {} });
    expect(await toolNames(sampling)).toContain("legacy-a_sample");
    expect(await toolNames(alice())).not.toContain("legacy-a_sample");
    expect(ownedBy(await pooledRecords(storage()), "alice")).toHaveLength(2);
    expect(legacy.initializeCount).toBe(initializedForAlice + 2);
  });

  it("a 2025 request naming a pooled session's ID is 404: it is no session a client holds", async () => {
    const [record] = ownedBy(await pooledRecords(storage()), "alice");
    const answer = await rawPost(
      proxy.url,
      JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }),
      {
        authorization: "Bearer tok-alice",
        "mcp-session-id": record?.id ?? "",
        "mcp-protocol-version": "2025-11-25",
      },
    );
    expect(answer.status).toBe(404);
  });

  it("a 2025-era backend's mid-call sampling request becomes an input_required round for a caller that declared sampling (answered on the other replica), and is refused (-32601) for one that did not", async () => {
    const refused = await alice().request({
      method: "tools/call",
      params: { name: "legacy-a_ask", arguments: {} },
    });
    expect(resultText(refused)).toContain(`${AskFailedPrefix}-32601`);
    expect(resultText(refused)).toContain("declared no such capability");

    const sampling = clients[2] as Client;
    const ask = (extra: Record<string, unknown>) =>
      sampling.request(
        { method: "tools/call", params: { name: "legacy-a_ask", arguments: {}, ...extra } },
        { allowInputRequired: true },
      ) as Promise<Result>;
    const round = await ask({});
    expect(round).toMatchObject({
      resultType: "input_required",
      inputRequests: { "sampling-1": { method: "sampling/createMessage" } },
    });
    const done = await ask({
      inputResponses: {
        "sampling-1": { role: "assistant", content: { type: "text", text: "hello" }, model: "m" },
      },
      requestState: round.requestState,
    });
    expect(resultText(done)).toBe(JSON.stringify({ type: "text", text: "hello" }));
    const [first, retry] = proxy.requests.filter((r) => r.rpc === "tools/call").slice(-2);
    expect(first?.replica).not.toBe(retry?.replica);
  });

  it("a backend that forgot the session is initialised again, and the new backend session is written back to the record", async () => {
    proxy.setRouter(() => 0);
    try {
      await legacy.forgetSessions();
      const before = legacy.initializeCount;
      const renewed = await whoami(alice());
      const sessionId = renewed.split("|")[1] ?? "";
      expect(sessionId).not.toBe(aliceBackendSession);
      expect(legacy.initializeCount).toBe(before + 1);
      const [record] = ownedBy(await pooledRecords(storage()), "alice").filter(
        (r) =>
          r.metadata["vmcp.client.capabilities"] === JSON.stringify({ elicitation: { form: {} } }),
      );
      expect(record?.metadata["vmcp.backend.session.legacy-a"]).toBe(sessionId);

      // Replica 1 still held the old backend session: it recovers too, and writes its own back.
      proxy.setRouter(() => 1);
      const again = await whoami(alice());
      await waitUntil(
        async () =>
          ownedBy(await pooledRecords(storage()), "alice").some(
            (r) => r.metadata["vmcp.backend.session.legacy-a"] === again.split("|")[1],
          ),
        10_000,
        "replica 1's backend session written back",
      );
    } finally {
      proxy.setRouter(undefined);
    }
  });

  it("sessions list and show mark the pooled records", async () => {
    const flags = ["--store", "redis", "--redis-url", redis.url];
    const listed = await runCli(["sessions", "list", ...flags]);
    expect(listed.code, listed.stderr).toBe(0);
    const lines = listed.stdout.split("\n");
    expect(lines.find((l) => l.startsWith("ID "))).toMatch(/^ID\s+KIND\b/);
    const pooledLines = lines.filter((l) => l.startsWith("vmcp.pool."));
    expect(pooledLines).toHaveLength(3);
    for (const line of pooledLines) expect(line).toMatch(/^\S+\s+pooled\s/);
    expect(
      lines.filter((l) => l.startsWith("vmcp.era.")).every((l) => /^\S+\s+backend-era\s/.test(l)),
    ).toBe(true);

    const [record] = ownedBy(await pooledRecords(storage()), "bob");
    const shown = await runCli(["sessions", "show", "--json", ...flags, "--", record?.id ?? ""]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      id: record?.id,
      kind: "session",
      pool: ModernRevision,
      owner: { issuer: "static", subject: "bob" },
      backends: [
        { workloadId: "legacy-a", listed: true },
        { workloadId: "modern-c", sessionId: "", protocolVersion: ModernRevision, listed: true },
        { workloadId: "stdio-b", sessionId: "", listed: true },
      ],
    });
    const text = await runCli(["sessions", "show", ...flags, "--", record?.id ?? ""]);
    expect(text.stdout).toContain(
      "kind      pooled: a pooled backend session, kept per caller for MCP 2026-07-28 clients",
    );
  });

  /** Alice's first client (elicitation only). */
  function alice(): Client {
    return clients[0] as Client;
  }
});
