import {
  BackendSessionExpiredError,
  MultiSessionFactory,
  SessionClosedError,
  SessionExistsError,
  SessionManager,
  type SessionOwner,
  SessionOwnerMismatchError,
} from "@vmcp/session-core";
import { describe, expect, it } from "vitest";
import { RecordingStorage } from "./recording-storage.js";
import { FakeConnector, targets } from "./test-connector.js";
import { managerOver } from "./test-manager.js";

const alice: SessionOwner = { issuer: "https://idp.example", subject: "alice" };
const bob: SessionOwner = { issuer: "https://idp.example", subject: "bob" };
const secret = "test-binding-secret";

/** Two replicas: two managers, each with its own factory, over one storage and one set of backends. */
function replicas(
  connector: FakeConnector,
  ids = ["alpha", "beta"],
  extra: { maxLiveSessions?: number; backendRecoveryAttempts?: number } = {},
) {
  const storage = new RecordingStorage();
  const make = () => managerOver(storage, connector, ids, { bindingSecret: secret, ...extra });
  return { storage, a: make(), b: make() };
}

describe("SessionManager", () => {
  it("create stores the backend metadata plus an identity binding that holds no raw token", async () => {
    const connector = new FakeConnector();
    const { storage, a } = replicas(connector);
    const session = await a.create({ owner: alice });
    const stored = storage.records.get(session.id);
    expect(stored?.metadata).toMatchObject({
      "vmcp.backend.ids": "alpha,beta",
      "vmcp.backend.session.alpha": "alpha-s1",
      "vmcp.backend.session.beta": "beta-s1",
      "vmcp.identity.issuer": alice.issuer,
      "vmcp.identity.subject": alice.subject,
    });
    expect(stored?.metadata["vmcp.identity.binding"]).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session.owner).toEqual(alice);
    expect(session.getMetadata()["vmcp.identity.binding"]).toBe(
      stored?.metadata["vmcp.identity.binding"],
    );
    expect(stored?.expiresAt).toBeGreaterThan(Date.now());
  });

  it("restore on a cache miss on another replica reattaches with the stored backend session IDs: no new initialize", async () => {
    const connector = new FakeConnector();
    const { a, b } = replicas(connector);
    const session = await a.create({ owner: alice });
    expect(connector.initializeCount("alpha")).toBe(1);
    const onB = await b.get(session.id, alice);
    expect(onB?.backendIds).toEqual(["alpha", "beta"]);
    expect(connector.initializeCount("alpha")).toBe(1);
    expect(connector.initializeCount("beta")).toBe(1);
    const hints = connector.calls.filter((c) => c.hint !== undefined).map((c) => c.hint?.sessionId);
    expect(hints.sort()).toEqual(["alpha-s1", "beta-s1"]);
    const result = await onB?.callTool("alpha__echo", { x: 1 });
    expect(result?.content).toEqual([{ type: "text", text: 'alpha:echo:{"x":1}' }]);
  });

  it("concurrent misses for one ID rebuild once", async () => {
    const connector = new FakeConnector();
    const { a, b } = replicas(connector);
    const session = await a.create();
    const before = connector.calls.length;
    const got = await Promise.all(Array.from({ length: 8 }, () => b.get(session.id)));
    expect(connector.calls.length - before).toBe(2); // one reattach per backend
    expect(new Set(got).size).toBe(1);
  });

  it("a warm hit reads the store once (no write: the TTL slide is not due yet) and connects nothing", async () => {
    const connector = new FakeConnector();
    const { storage, a } = replicas(connector);
    const session = await a.create();
    const loads = storage.calls.load;
    const calls = connector.calls.length;
    expect(await a.get(session.id)).toBe(session);
    expect(storage.calls.load - loads).toBe(1);
    expect(storage.calls.touch).toBe(0);
    expect(connector.calls.length).toBe(calls);
  });

  it("a terminated session answers 404 (undefined) on every replica at once, even one still holding it in its LRU", async () => {
    const connector = new FakeConnector();
    const { storage, a, b } = replicas(connector);
    const session = await a.create({ owner: alice });
    const onB = await b.get(session.id, alice);
    expect(onB).toBeDefined();
    expect(await a.terminate(session.id, alice)).toBe(true);
    expect(storage.records.has(session.id)).toBe(false);
    expect(await b.get(session.id, alice)).toBeUndefined();
    expect(b.isLive(session.id)).toBe(false);
    expect(await a.get(session.id, alice)).toBeUndefined();
    // The backend sessions ended too.
    expect(connector.connections.filter((c) => c.terminated).length).toBeGreaterThanOrEqual(2);
    expect(connector.specs.get("alpha")?.knownSessions?.has("alpha-s1")).toBe(false);
    expect(await a.terminate(session.id, alice)).toBe(false);
  });

  it("terminate on a replica that never held the session ends the stored backend sessions by reattaching", async () => {
    const connector = new FakeConnector();
    const { a, b } = replicas(connector);
    const session = await a.create();
    await a.close();
    expect(await b.terminate(session.id)).toBe(true);
    expect(connector.specs.get("alpha")?.knownSessions?.size).toBe(0);
    expect(connector.specs.get("beta")?.knownSessions?.size).toBe(0);
  });

  it("another identity is refused with SessionOwnerMismatchError on every replica; so is no identity", async () => {
    const connector = new FakeConnector();
    const { a, b } = replicas(connector);
    const session = await a.create({ owner: alice });
    await expect(a.get(session.id, bob)).rejects.toBeInstanceOf(SessionOwnerMismatchError);
    await expect(b.get(session.id, bob)).rejects.toBeInstanceOf(SessionOwnerMismatchError);
    await expect(b.get(session.id)).rejects.toBeInstanceOf(SessionOwnerMismatchError);
    await expect(b.terminate(session.id, bob)).rejects.toBeInstanceOf(SessionOwnerMismatchError);
    expect(b.isLive(session.id)).toBe(false); // refused before any restore
    expect(await b.get(session.id, alice)).toBeDefined();
  });

  it("a replica with another binding secret refuses the owner (the secret must be shared)", async () => {
    const connector = new FakeConnector();
    const storage = new RecordingStorage();
    const factory = new MultiSessionFactory({ backends: targets("alpha"), connector });
    const a = new SessionManager({ storage, factory, bindingSecret: "one" });
    const b = new SessionManager({ storage, factory, bindingSecret: "two" });
    const session = await a.create({ owner: alice });
    await expect(b.get(session.id, alice)).rejects.toBeInstanceOf(SessionOwnerMismatchError);
  });

  it("a backend that forgot the session (404) is initialised afresh on restore and its new ID written back with an update", async () => {
    const connector = new FakeConnector();
    const { storage, a, b } = replicas(connector);
    const session = await a.create();
    connector.expireSessions("alpha");
    const creates = storage.calls.create;
    const onB = await b.get(session.id);
    expect(onB?.backendIds).toEqual(["alpha", "beta"]);
    expect(connector.initializeCount("alpha")).toBe(2);
    expect(connector.initializeCount("beta")).toBe(1);
    expect(storage.records.get(session.id)?.metadata["vmcp.backend.session.alpha"]).toBe(
      "alpha-s2",
    );
    expect(storage.records.get(session.id)?.metadata["vmcp.backend.session.beta"]).toBe("beta-s1");
    expect(storage.calls.create).toBe(creates);
  });

  it("a cached session is not evicted when another replica wrote a different per-backend session ID (no eviction storm)", async () => {
    const connector = new FakeConnector();
    const { storage, a } = replicas(connector);
    const session = await a.create();
    storage.writeKey(session.id, "vmcp.backend.session.alpha", "minted-elsewhere");
    const calls = connector.calls.length;
    expect(await a.get(session.id)).toBe(session);
    expect(connector.calls.length).toBe(calls);
  });

  it("a backend removed by another replica is dropped locally on the next get, without a rebuild", async () => {
    const connector = new FakeConnector();
    const { storage, a, b } = replicas(connector);
    const session = await a.create();
    await b.removeBackend(session.id, "beta");
    expect(storage.records.get(session.id)?.metadata["vmcp.backend.ids"]).toBe("alpha");
    const calls = connector.calls.length;
    const again = await a.get(session.id);
    expect(again).toBe(session);
    expect(again?.backendIds).toEqual(["alpha"]);
    expect(connector.calls.length).toBe(calls);
    expect((await again?.listTools())?.map((t) => t.name)).toEqual(["echo"]);
  });

  it("a corrupt stored backend list is the same SessionDecodeError on the replica holding the session live and on one restoring it", async () => {
    const connector = new FakeConnector();
    const { storage, a, b } = replicas(connector);
    const session = await a.create({ owner: alice });
    const stored = storage.records.get(session.id);
    if (stored === undefined) throw new Error("not stored");
    storage.records.set(session.id, {
      ...stored,
      metadata: { ...stored.metadata, "vmcp.backend.ids": "alpha,,beta" },
    });
    for (const replica of [a, b]) {
      await expect(replica.get(session.id, alice)).rejects.toMatchObject({
        code: "VMCP_SESSION_DECODE",
        sessionId: session.id,
      });
    }
    expect(a.isLive(session.id)).toBe(false);
  });

  it("removeBackend rewrites the list and removes the backend's keys in one conditional update, retrying a conflict without clobbering the other write", async () => {
    const connector = new FakeConnector();
    const { storage, a } = replicas(connector, ["alpha", "beta", "gamma"]);
    const session = await a.create();
    const updates = storage.updates.length;
    storage.beforeUpdate = (id) => storage.writeKey(id, "app.other", "concurrent");
    await a.removeBackend(session.id, "beta");
    const metadata = storage.records.get(session.id)?.metadata ?? {};
    expect(metadata["vmcp.backend.ids"]).toBe("alpha,gamma");
    expect(Object.keys(metadata).filter((k) => k.endsWith(".beta"))).toEqual([]);
    expect(metadata["app.other"]).toBe("concurrent");
    const attempts = storage.updates.slice(updates);
    expect(attempts).toHaveLength(2); // the first lost the race, the retry landed
    for (const attempt of attempts) {
      expect(attempt.options?.ifVersion).toBeTypeOf("number");
      expect(attempt.patch.set?.["vmcp.backend.ids"]).toBe("alpha,gamma");
      expect(attempt.patch.remove).toContain("vmcp.backend.session.beta");
    }
    expect(session.backendIds).toEqual(["alpha", "gamma"]);
  });

  it("removing the last backend removes vmcp.backend.ids as well", async () => {
    const connector = new FakeConnector();
    const { storage, a } = replicas(connector, ["alpha"]);
    const session = await a.create();
    await a.removeBackend(session.id, "alpha");
    const metadata = storage.records.get(session.id)?.metadata ?? {};
    expect(Object.keys(metadata).filter((k) => k.startsWith("vmcp.backend."))).toEqual([]);
  });

  it("a backend call that hits an expired backend session re-initialises it, writes the new ID back and retries once", async () => {
    const connector = new FakeConnector();
    const { storage, a } = replicas(connector);
    const session = await a.create();
    connector.expireSessions("beta");
    const result = await session.callTool("beta__echo", {});
    expect(result.content).toEqual([{ type: "text", text: "beta:echo:{}" }]);
    expect(storage.records.get(session.id)?.metadata["vmcp.backend.session.beta"]).toBe("beta-s2");
    expect(session.getMetadata()["vmcp.backend.session.beta"]).toBe("beta-s2");
  });

  it("a backend whose session expired for good (fresh connect fails) leaves the session and the stored metadata", async () => {
    const connector = new FakeConnector();
    const { storage, a } = replicas(connector);
    const session = await a.create();
    connector.expireSessions("beta", { fail: new Error("backend gone") });
    await expect(session.callTool("beta__echo", {})).rejects.toBeInstanceOf(
      BackendSessionExpiredError,
    );
    const metadata = storage.records.get(session.id)?.metadata ?? {};
    expect(metadata["vmcp.backend.ids"]).toBe("alpha");
    expect("vmcp.backend.session.beta" in metadata).toBe(false);
    expect(session.backendIds).toEqual(["alpha"]);
    expect((await session.listTools()).map((t) => t.name)).toEqual(["echo"]);
  });

  it("a backend whose fresh connects fail twice and then succeed stays in the session (bounded retries)", async () => {
    const connector = new FakeConnector();
    const { storage, a } = replicas(connector);
    const session = await a.create();
    const beta = connector.expireSessions("beta", { failFreshTimes: 2 });
    const result = await session.callTool("beta__echo", {});
    expect(result.content).toEqual([{ type: "text", text: "beta:echo:{}" }]);
    expect(beta.failFreshTimes).toBe(0);
    const metadata = storage.records.get(session.id)?.metadata ?? {};
    expect(metadata["vmcp.backend.ids"]).toBe("alpha,beta");
    expect(metadata["vmcp.backend.session.beta"]).toBe("beta-s2");
  });

  it("a backend failing every one of its backendRecoveryAttempts leaves the session", async () => {
    const connector = new FakeConnector();
    const { storage, a } = replicas(connector, ["alpha", "beta"], { backendRecoveryAttempts: 2 });
    const session = await a.create();
    const beta = connector.expireSessions("beta", { failFreshTimes: 2 });
    await expect(session.callTool("beta__echo", {})).rejects.toBeInstanceOf(
      BackendSessionExpiredError,
    );
    expect(beta.failFreshTimes).toBe(0);
    expect(storage.records.get(session.id)?.metadata["vmcp.backend.ids"]).toBe("alpha");
  });

  it("refuses a backendRecoveryAttempts that is not a positive integer", () => {
    for (const bad of [0, -1, 1.5]) {
      expect(
        () =>
          new SessionManager({
            storage: new RecordingStorage(),
            factory: new MultiSessionFactory({ backends: targets("alpha") }),
            backendRecoveryAttempts: bad,
          }),
      ).toThrow(RangeError);
    }
  });

  it("a list meeting a backend gone for good answers from the remaining backends", async () => {
    const connector = new FakeConnector();
    const { storage, a } = replicas(connector);
    const session = await a.create();
    connector.expireSessions("beta", { fail: new Error("backend gone") });
    expect((await session.listTools()).map((t) => t.name)).toEqual(["echo"]);
    expect(storage.records.get(session.id)?.metadata["vmcp.backend.ids"]).toBe("alpha");
  });

  it("eviction from the LRU closes local connections only and loses no stored data", async () => {
    const connector = new FakeConnector();
    const { storage, a } = replicas(connector, ["alpha"], { maxLiveSessions: 1 });
    const first = await a.create();
    const firstConnection = connector.connections[0];
    await a.create();
    expect(a.isLive(first.id)).toBe(false);
    expect(firstConnection?.closed).toBe(true);
    expect(firstConnection?.terminated).toBe(false);
    expect(storage.records.get(first.id)?.metadata["vmcp.backend.session.alpha"]).toBe("alpha-s1");
    const back = await a.get(first.id);
    expect(back?.getMetadata()["vmcp.backend.session.alpha"]).toBe("alpha-s1");
    expect(connector.initializeCount("alpha")).toBe(2); // the two creates; the restore reattached
  });

  it("a session evicted with a request in flight keeps its connections until that request ends", async () => {
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const connector = new FakeConnector({ alpha: { gate } });
    const { a } = replicas(connector, ["alpha"], { maxLiveSessions: 1 });
    const first = await a.create();
    const connection = connector.connections[0];
    const ids: (string | number)[] = [];
    const inFlight = first.request(
      "alpha",
      "tools/call",
      { name: "slow" },
      {
        onRequestId: (id) => ids.push(id),
      },
    );
    await a.create(); // evicts the first
    expect(a.isLive(first.id)).toBe(false);
    expect(connection?.closed).toBe(false);
    expect(ids).toEqual([1]);
    open();
    await expect(inFlight).resolves.toEqual({ method: "tools/call" });
    await Promise.resolve();
    expect(connection?.closed).toBe(true);
    expect(connection?.terminated).toBe(false);
  });

  it("notifyBackend reaches the one backend named, and no other", async () => {
    const connector = new FakeConnector();
    const { a } = replicas(connector, ["alpha", "beta"]);
    const session = await a.create();
    await session.notifyBackend("beta", "notifications/cancelled", { requestId: 7 });
    await session.notifyBackend("gamma", "notifications/cancelled", { requestId: 8 });
    const byId = new Map(connector.connections.map((c) => [c.workloadId, c.notifications]));
    expect(byId.get("beta")).toEqual([
      { method: "notifications/cancelled", params: { requestId: 7 } },
    ]);
    expect(byId.get("alpha")).toEqual([]);
  });

  it("a stored backend that is no longer configured is dropped on restore, atomically", async () => {
    const connector = new FakeConnector();
    const storage = new RecordingStorage();
    const wide = managerOver(storage, connector, ["alpha", "beta"]);
    const narrow = managerOver(storage, connector, ["alpha"]);
    const session = await wide.create();
    const restored = await narrow.get(session.id);
    expect(restored?.backendIds).toEqual(["alpha"]);
    const metadata = storage.records.get(session.id)?.metadata ?? {};
    expect(metadata["vmcp.backend.ids"]).toBe("alpha");
    expect(Object.keys(metadata).some((k) => k.endsWith(".beta"))).toBe(false);
  });

  it("a stateless backend (empty session ID) is restored without a hint", async () => {
    const connector = new FakeConnector({ plain: { sessionIds: [""] } });
    const { storage, a, b } = replicas(connector, ["plain"]);
    const session = await a.create();
    expect(storage.records.get(session.id)?.metadata["vmcp.backend.session.plain"]).toBe("");
    const onB = await b.get(session.id);
    expect(onB?.backendIds).toEqual(["plain"]);
    expect(connector.calls.map((c) => c.hint)).toEqual([undefined, undefined]);
  });

  it("an unknown or malformed session ID is undefined, and create refuses a taken ID", async () => {
    const connector = new FakeConnector();
    const { a } = replicas(connector);
    expect(await a.get("nope")).toBeUndefined();
    expect(await a.get("bad id with spaces")).toBeUndefined();
    const session = await a.create({ id: "taken" });
    await expect(a.create({ id: session.id })).rejects.toBeInstanceOf(SessionExistsError);
    // The refused create's backend sessions were ended, not leaked.
    expect(connector.connections.filter((c) => c.terminated)).toHaveLength(2);
  });

  it("a record that is not a client session (vmcp.kind) is never restored, touched or terminated as one", async () => {
    const connector = new FakeConnector();
    const { storage, a } = replicas(connector);
    // Half a TTL from now: a session's get would slide it (the slide is due).
    const expiresAt = Date.now() + a.ttlMs / 2;
    for (const [id, kind] of [
      ["vmcp.era.verdict", "backend-era"],
      ["request-state.used", "request-state"],
      ["from-a-newer-writer", "some-later-kind"],
    ] as const) {
      expect(
        await storage.create({
          id,
          metadata: { "vmcp.kind": kind, "vmcp.backend.era": '{"kind":"legacy"}' },
          expiresAt,
        }),
      ).toBe(true);
      const touches = storage.calls.touch;
      // A 2025 client presenting the record's ID as Mcp-Session-Id: not found (404), for anyone.
      expect(await a.get(id)).toBeUndefined();
      expect(await a.get(id, alice)).toBeUndefined();
      expect(storage.calls.touch).toBe(touches);
      expect(storage.records.get(id)?.expiresAt).toBe(expiresAt);
      expect(a.isLive(id)).toBe(false);
      // DELETE with that ID: not found, and the record stays.
      expect(await a.terminate(id)).toBe(false);
      expect(storage.records.has(id)).toBe(true);
    }
    expect(connector.calls).toHaveLength(0);
    // A session (no vmcp.kind) beside them is served as before.
    const session = await a.create();
    expect(await a.get(session.id)).toBeDefined();
  });

  it("close() closes local connections, keeps the stored data, and refuses later calls", async () => {
    const connector = new FakeConnector();
    const { storage, a, b } = replicas(connector);
    const session = await a.create();
    await a.close();
    expect(connector.connections.every((c) => c.closed && !c.terminated)).toBe(true);
    expect(storage.records.has(session.id)).toBe(true);
    await expect(a.get(session.id)).rejects.toBeInstanceOf(SessionClosedError);
    expect(await b.get(session.id)).toBeDefined();
  });

  it("ManagedSession.terminate ends the session everywhere", async () => {
    const connector = new FakeConnector();
    const { storage, a, b } = replicas(connector);
    const session = await a.create({ owner: alice });
    await session.terminate();
    expect(storage.records.has(session.id)).toBe(false);
    expect(await b.get(session.id, alice)).toBeUndefined();
  });
});

describe("SessionManager.create with extra metadata", () => {
  it("stores the extra keys in the same create, shows them on the live session, and keeps them on restore", async () => {
    const connector = new FakeConnector();
    const { storage, a, b } = replicas(connector);
    const session = await a.create({
      owner: alice,
      metadata: { "vmcp.session.pool": "2026-07-28" },
    });
    expect(storage.records.get(session.id)?.metadata).toMatchObject({
      "vmcp.session.pool": "2026-07-28",
      "vmcp.backend.ids": "alpha,beta",
      "vmcp.identity.subject": alice.subject,
    });
    expect(session.getMetadata()["vmcp.session.pool"]).toBe("2026-07-28");
    const onB = await b.get(session.id, alice);
    expect(onB?.getMetadata()["vmcp.session.pool"]).toBe("2026-07-28");
  });

  it("refuses a key the session layer writes itself, or a value that is no string, before any backend is contacted", async () => {
    const connector = new FakeConnector();
    const { storage, a } = replicas(connector);
    for (const metadata of [
      { "vmcp.backend.ids": "forged" },
      { "vmcp.identity.subject": "mallory" },
      { "vmcp.client.info": "{}" },
      { "vmcp.session.pool": 1 as unknown as string },
    ]) {
      await expect(a.create({ owner: alice, metadata })).rejects.toMatchObject({
        code: "VMCP_INVALID_SESSION_INPUT",
      });
    }
    expect(connector.calls).toEqual([]);
    expect(storage.records.size).toBe(0);
  });
});
