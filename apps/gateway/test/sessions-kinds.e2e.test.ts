/**
 * The store holds client sessions and, beside them, records that are not sessions (`vmcp.kind`:
 * backend era verdicts, used `requestState`s, kinds a newer gateway may write). `sessions list`
 * and `sessions show` mark each with its kind (`--kind` filters the list), and the 2025 session
 * path never serves or deletes such a record as a session: its ID as `Mcp-Session-Id` is 404.
 */
import { type RedisServer, startRedisServer } from "@vmcp/redis-harness";
import { RedisStorage } from "@vmcp/store-redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LoggedGateway, startLoggedGateway } from "./helpers/in-process.js";
import { rawPost } from "./helpers/mcp-client.js";
import { runCli } from "./helpers/processes.js";

const KeyPrefix = "e2e:kinds:";
const SessionId = "sess-kinds-1";
const EraId = "vmcp.era.kinds-test";
const StateId = "request-state.kinds-test";
const LaterId = "later.kinds-test";

describe("records that are not client sessions", () => {
  let redis: RedisServer;
  let storage: RedisStorage;
  let gateway: LoggedGateway;
  const storeFlags = () => [
    "--store",
    "redis",
    "--redis-url",
    redis.url,
    "--redis-key-prefix",
    KeyPrefix,
  ];
  /** `sessions <args> [store flags] [-- id]`: an ID goes last, after `--` (IDs may begin with `-`). */
  const cli = (args: string[], id?: string) =>
    runCli(["sessions", ...args, ...storeFlags(), ...(id === undefined ? [] : ["--", id])]);
  const listJson = async (...args: string[]): Promise<[string, string][]> => {
    const run = await cli(["list", "--json", ...args]);
    expect(run.code, run.stderr).toBe(0);
    return (JSON.parse(run.stdout) as { id: string; kind: string }[]).map((v) => [v.id, v.kind]);
  };

  beforeAll(async () => {
    redis = await startRedisServer();
    storage = new RedisStorage({ url: redis.url, keyPrefix: KeyPrefix, timeoutMs: 10_000 });
    const expiresAt = Date.now() + 600_000;
    for (const [id, metadata] of [
      [SessionId, { "vmcp.backend.ids": "alpha", "vmcp.backend.session.alpha": "a-1" }],
      [EraId, { "vmcp.kind": "backend-era", "vmcp.backend.era": '{"kind":"legacy","storedAt":1}' }],
      [StateId, { "vmcp.kind": "request-state" }],
      [LaterId, { "vmcp.kind": "from-a-newer-writer" }],
    ] as const) {
      expect(await storage.create({ id, metadata, expiresAt })).toBe(true);
    }
    gateway = await startLoggedGateway({
      store: { kind: "redis", url: redis.url, keyPrefix: KeyPrefix },
    });
  });

  afterAll(async () => {
    await gateway?.close();
    await storage?.close();
    await redis?.close();
  });

  it("sessions list marks every record with its kind, counts the others apart, and --kind filters", async () => {
    const table = await cli(["list"]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain(
      "1 session(s), 3 other record(s) (1 backend-era, 1 request-state, 1 unknown): not client sessions",
    );
    const rows = table.stdout.split("\n");
    expect(rows[1]).toMatch(/^ID +KIND +OWNER +BACKENDS +CREATED +EXPIRES$/);
    expect(rows.find((r) => r.startsWith(SessionId))).toMatch(/ session +\(anonymous\) +alpha /);
    expect(rows.find((r) => r.startsWith(EraId))).toMatch(/ backend-era +- +- /);
    expect(rows.find((r) => r.startsWith(StateId))).toMatch(/ request-state +- +- /);
    expect(rows.find((r) => r.startsWith(LaterId))).toMatch(/ unknown +- +- /);

    expect(new Map(await listJson())).toEqual(
      new Map([
        [SessionId, "session"],
        [EraId, "backend-era"],
        [StateId, "request-state"],
        [LaterId, "unknown"],
      ]),
    );
    expect(await listJson("--kind", "all")).toHaveLength(4);
    expect(await listJson("--kind", "session")).toEqual([[SessionId, "session"]]);
    expect(await listJson("--kind", "backend-era")).toEqual([[EraId, "backend-era"]]);
    expect(await listJson("--kind", "request-state")).toEqual([[StateId, "request-state"]]);
    const sessionsOnly = await cli(["list", "--kind", "session"]);
    expect(sessionsOnly.stdout).toContain(", 1 session(s)\n");

    const bad = await cli(["list", "--kind", "sessions"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      'vmcp-gateway: --kind "sessions" is not one of all|session|backend-era|request-state|task-route|parked-call|unknown',
    );
    const misplaced = await cli(["show", "--kind", "session"], SessionId);
    expect(misplaced.code).toBe(2);
    expect(misplaced.stderr).toContain("--kind applies to sessions list only");
    const bare = await runCli(["sessions", "list", "--kind"]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain("--kind: needs a value (--kind all|session|");
  });

  it("sessions show names the kind, and prints a record that is not a session as what it is", async () => {
    const era = await cli(["show"], EraId);
    expect(era.code, era.stderr).toBe(0);
    expect(era.stdout).toMatch(
      /^record {4}vmcp\.era\.kinds-test\nkind {6}backend-era: not a client session/,
    );
    expect(era.stdout).toContain('vmcp.backend.era  {"kind":"legacy","storedAt":1}');
    expect(era.stdout).not.toMatch(/^(owner|client|backends)/m);
    const json = await cli(["show", "--json"], StateId);
    expect(JSON.parse(json.stdout)).toMatchObject({ id: StateId, kind: "request-state" });
    const session = await cli(["show"], SessionId);
    expect(session.stdout).toMatch(/^session {3}sess-kinds-1\nkind {6}session: a client session/);
  });

  it("a 2025 client presenting such a record's ID as Mcp-Session-Id gets 404, and the record keeps its TTL", async () => {
    const before = await storage.load(EraId);
    const list = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} });
    for (const id of [EraId, StateId, LaterId]) {
      const answer = await rawPost(gateway.url, list, { "mcp-session-id": id });
      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({ error: { code: -32001 } });
      const gone = await fetch(`${gateway.url}/mcp`, {
        method: "DELETE",
        headers: { "mcp-session-id": id },
      });
      expect(gone.status).toBe(404);
      expect(await storage.load(id)).toBeDefined();
    }
    const after = await storage.load(EraId);
    expect(after?.expiresAt).toBe(before?.expiresAt);
    expect(after?.version).toBe(before?.version);
  });
});
