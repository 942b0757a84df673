/**
 * Issue 21, part 1: the bounds of pooled backend sessions on one replica. Each identity holds at
 * most `maxPooledSessionsPerCaller` live ones and the replica `maxPooledSessions`; the least
 * recently used is evicted (its stdio process stopped and reaped) and restored later without a new
 * `initialize`. Anonymous callers get a pooled session per request, ended after it.
 */
import type { Client } from "@modelcontextprotocol/client";
import type { SessionStorage } from "@vmcp/session-core";
import {
  startMcpBackend,
  stdioBackendScript,
  type TestBackend,
  waitUntil,
} from "@vmcp/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LoggedGateway, startLoggedGateway } from "./helpers/in-process.js";
import { resultText } from "./helpers/mcp-client.js";
import { connectModernClient } from "./helpers/modern-client.js";
import { makePooledServer } from "./helpers/pooled-backends.js";

const Callers = ["u1", "u2", "u3", "u4", "u5", "u6"] as const;

/** Whether process `pid` still runs. */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function call(client: Client, name: string): Promise<string> {
  return resultText(
    await client.request({ method: "tools/call", params: { name, arguments: {} } }),
  );
}

/** The stdio backend process serving `client`'s pooled session. */
async function stdioPid(client: Client): Promise<number> {
  return Number(await call(client, "pid"));
}

async function pooledIds(storage: SessionStorage): Promise<string[]> {
  const ids: string[] = [];
  for await (const id of storage.listIds()) if (id.startsWith("vmcp.pool.")) ids.push(id);
  return ids;
}

function stdioBackend(tag: string) {
  return {
    workloadId: "stdio-b",
    command: process.execPath,
    args: [stdioBackendScript, "--tag", tag],
  };
}

describe("pooled backend sessions per identity and per replica are bounded; the least recently used are evicted and restored later", () => {
  let legacy: TestBackend;
  let gateway: LoggedGateway;
  const clients: Client[] = [];

  const connect = async (subject: string, capabilities?: Record<string, unknown>) => {
    const client = await connectModernClient(gateway.url, {
      token: `tok-${subject}`,
      ...(capabilities === undefined ? {} : { capabilities }),
    });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    legacy = await startMcpBackend("legacy-a", { makeServer: makePooledServer });
    gateway = await startLoggedGateway({
      identity: {
        kind: "static",
        tokens: Object.fromEntries(
          Callers.map((subject) => [`tok-${subject}`, { issuer: "static", subject }]),
        ),
      },
      modern: { maxPooledSessions: 3, maxPooledSessionsPerCaller: 2 },
      backends: [{ workloadId: "legacy-a", url: legacy.url }, stdioBackend("pooled-bounds")],
    });
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await gateway?.close();
    await legacy?.close();
  });

  it("one identity declaring a third capability set evicts its least recently used pooled session, whose stdio process is reaped", async () => {
    const pids: number[] = [];
    for (const capabilities of [{}, { sampling: {} }, { roots: {} }]) {
      pids.push(await stdioPid(await connect("u6", capabilities)));
    }
    const [first, ...kept] = pids as [number, number, number];
    await waitUntil(() => !running(first), 10_000, "the evicted session's stdio process reaped");
    expect(kept.every(running)).toBe(true);
    // Three records: eviction lets go of the live session only.
    expect(await pooledIds(gateway.gateway.storage)).toHaveLength(3);
  });

  it("a flood of identities keeps at most maxPooledSessions live; an evicted one is restored by its next request without a new initialize", async () => {
    const flood: { client: Client; pid: number; whoami: string }[] = [];
    for (const subject of ["u1", "u2", "u3", "u4", "u5"]) {
      const client = await connect(subject);
      flood.push({
        client,
        pid: await stdioPid(client),
        whoami: await call(client, "legacy-a_whoami"),
      });
    }
    const pids = flood.map((f) => f.pid);
    // The three most recently used stay live; u1, u2 (and u6's two) were evicted and reaped.
    await waitUntil(
      () => pids.slice(0, 2).every((pid) => !running(pid)),
      10_000,
      "the least recently used sessions' stdio processes reaped",
    );
    expect(pids.slice(2).every(running)).toBe(true);
    expect(await pooledIds(gateway.gateway.storage)).toHaveLength(8);

    const before = legacy.initializeCount;
    const u1 = flood[0] as (typeof flood)[number];
    expect(await call(u1.client, "legacy-a_whoami")).toBe(u1.whoami);
    expect(legacy.initializeCount).toBe(before);
    const restoredPid = await stdioPid(u1.client);
    expect(restoredPid).not.toBe(u1.pid);
    // u1 came back: the least recently used of the others (u3) made room.
    await waitUntil(() => !running(pids[2] as number), 10_000, "u3's stdio process reaped");
  });
});

describe("anonymous 2026-07-28 callers get a pooled backend session per request, ended after it", () => {
  let legacy: TestBackend;
  let gateway: LoggedGateway;
  let client: Client;

  beforeAll(async () => {
    legacy = await startMcpBackend("legacy-a", { makeServer: makePooledServer });
    gateway = await startLoggedGateway({
      backends: [{ workloadId: "legacy-a", url: legacy.url }, stdioBackend("pooled-anonymous")],
    });
    client = await connectModernClient(gateway.url);
  });

  afterAll(async () => {
    await client?.close();
    await gateway?.close();
    await legacy?.close();
  });

  it("each request initialises its own backend session and stdio process, and both end with it; no record stays", async () => {
    const before = legacy.initializeCount;
    const pid = await stdioPid(client);
    await waitUntil(() => !running(pid), 10_000, "the request's stdio process reaped");
    const first = await call(client, "legacy-a_whoami");
    const second = await call(client, "legacy-a_whoami");
    expect(first).not.toBe(second);
    // One initialize per request (three here), each backend session ended (DELETE) after it.
    expect(legacy.initializeCount).toBe(before + 3);
    await waitUntil(() => legacy.sessionIds.length === 0, 10_000, "the backend sessions ended");
    await waitUntil(
      async () => (await pooledIds(gateway.gateway.storage)).length === 0,
      10_000,
      "no pooled record left",
    );
  });

  it("two anonymous requests at once never share a backend session", async () => {
    const [a, b] = await Promise.all([
      call(client, "legacy-a_whoami"),
      call(client, "legacy-a_whoami"),
    ]);
    expect(a).toMatch(/^legacy-a\|.+/);
    expect(a).not.toBe(b);
  });
});
