import {
  type ClientInfoRecord,
  InvalidSessionInputError,
  MultiSessionFactory,
  SessionManager,
  type SessionOwner,
  SessionOwnerMismatchError,
  SessionTooLargeError,
} from "@vmcp/session-core";
import { describe, expect, it } from "vitest";
// Internal names are imported from the built modules: the same instances as the package entry.
import {
  checkMetadataSize,
  DefaultMaxClientInfoBytes,
  resolveSizeLimits,
} from "../dist/sessions/session-size.js";
import { RecordingStorage } from "./recording-storage.js";
import { FakeConnector, targets } from "./test-connector.js";
import { managerOver } from "./test-manager.js";

const alice: SessionOwner = { issuer: "https://idp.example", subject: "alice" };
const bob: SessionOwner = { issuer: "https://idp.example", subject: "bob" };
const Minute = 60_000;

function client(name: string, capabilities: Record<string, unknown> = {}): ClientInfoRecord {
  return { protocolVersion: "2025-06-18", capabilities, clientInfo: { name, version: "1" } };
}

describe("byte bounds on what a session stores and holds", () => {
  it("a 900 KB clientInfo is refused before any backend is contacted, and nothing is stored", async () => {
    const connector = new FakeConnector();
    const storage = new RecordingStorage();
    const manager = managerOver(storage, connector, ["alpha", "beta"]);
    const huge = client("x".repeat(900 * 1024));
    const refused = await manager.create({ client: huge }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SessionTooLargeError);
    expect(refused).toMatchObject({
      code: "VMCP_SESSION_TOO_LARGE",
      what: "client info",
      limitBytes: DefaultMaxClientInfoBytes,
    });
    expect((refused as SessionTooLargeError).bytes).toBeGreaterThan(DefaultMaxClientInfoBytes);
    expect(connector.calls).toHaveLength(0);
    expect(storage.calls.create).toBe(0);
    expect(manager.liveCount).toBe(0);
    // A client at the bound is accepted.
    const fits = client("y".repeat(DefaultMaxClientInfoBytes - 200));
    expect((await manager.create({ client: fits })).client).toEqual(fits);
    await manager.close();
  });

  it("a malformed client info is refused with InvalidSessionInputError naming the field, before any backend is contacted", async () => {
    const connector = new FakeConnector();
    const storage = new RecordingStorage();
    const manager = managerOver(storage, connector, ["alpha"]);
    const malformed: [unknown, RegExp][] = [
      // What a reader guesses without the type: the clientInfo alone.
      [{ name: "my-client", version: "1.0.0" }, /protocolVersion is missing/],
      [null, /got null/],
      [
        { protocolVersion: "2025-06-18", clientInfo: { name: "c", version: "1" } },
        /capabilities is missing/,
      ],
      [
        { protocolVersion: "2025-06-18", capabilities: [], clientInfo: {} },
        /capabilities is an array/,
      ],
      [
        { protocolVersion: "", capabilities: {}, clientInfo: {} },
        /protocolVersion is an empty string/,
      ],
      [
        { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: "c" },
        /clientInfo is a string/,
      ],
      [
        { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "c" } },
        /clientInfo\.version is missing/,
      ],
      [
        { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: 1, version: "1" } },
        /clientInfo\.name is a number/,
      ],
    ];
    for (const [guess, problem] of malformed) {
      const refused = await manager
        .create({ client: guess as ClientInfoRecord })
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(InvalidSessionInputError);
      expect(refused).toMatchObject({ code: "VMCP_INVALID_SESSION_INPUT" });
      expect((refused as Error).message).toMatch(problem);
      expect((refused as Error).message).toContain(
        "{ protocolVersion: string, capabilities: object, clientInfo: { name: string, version: string } }",
      );
    }
    expect(connector.calls).toHaveLength(0);
    expect(storage.calls.create).toBe(0);
    await manager.close();
  });

  it("counts UTF-8 bytes, not characters", async () => {
    const factory = new MultiSessionFactory({
      backends: [],
      connector: new FakeConnector(),
      sizeLimits: { maxClientInfoBytes: 1000 },
    });
    // 400 characters, 1,200 bytes.
    await expect(factory.makeSession({ client: client("€".repeat(400)) })).rejects.toThrow(
      /client info is \d+ bytes, more than the limit of 1000 bytes/,
    );
    await expect(factory.makeSession({ client: client("e".repeat(400)) })).resolves.toBeDefined();
  });

  it("a metadata value over maxMetadataValueBytes is refused, and the backend sessions just opened are ended", async () => {
    const connector = new FakeConnector();
    const factory = new MultiSessionFactory({
      backends: targets("alpha"),
      connector,
      sizeLimits: { maxClientInfoBytes: 100_000, maxMetadataValueBytes: 1000 },
    });
    const refused = await factory
      .makeSession({ client: client("c", { experimental: { pad: "p".repeat(2000) } }) })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SessionTooLargeError);
    expect((refused as SessionTooLargeError).what).toBe(
      'metadata value "vmcp.client.capabilities"',
    );
    expect(connector.connections).toHaveLength(1);
    expect(connector.connections[0]?.terminated).toBe(true);
  });

  it("the whole metadata is bounded by maxMetadataBytes, keys included", () => {
    const limits = resolveSizeLimits({ maxMetadataBytes: 100, maxMetadataValueBytes: 100 });
    expect(() => checkMetadataSize({ a: "x".repeat(99) }, limits)).not.toThrow();
    expect(() => checkMetadataSize({ ab: "x".repeat(99) }, limits)).toThrow(
      /metadata is 101 bytes/,
    );
    expect(() => checkMetadataSize({ a: "x".repeat(101) }, limits)).toThrow(/metadata value "a"/);
    expect(() => resolveSizeLimits({ maxClientInfoBytes: 0 })).toThrow(RangeError);
  });
});

describe("the TTL slides only after the owner check passes", () => {
  function setup(granularity?: number) {
    let now = Date.now();
    const storage = new RecordingStorage();
    const manager = new SessionManager({
      storage,
      factory: new MultiSessionFactory({
        backends: targets("alpha"),
        connector: new FakeConnector(),
      }),
      bindingSecret: "secret",
      ttlMs: 30 * Minute,
      now: () => now,
      ...(granularity === undefined ? {} : { ttlSlideGranularityMs: granularity }),
    });
    return {
      storage,
      manager,
      advance: (ms: number) => {
        now += ms;
      },
      now: () => now,
    };
  }

  it("another identity (403) or an anonymous caller leaves the owner's deadline where it was", async () => {
    const { storage, manager, advance } = setup();
    const session = await manager.create({ owner: alice });
    const deadline = storage.records.get(session.id)?.expiresAt;
    expect(deadline).toBeDefined();
    advance(20 * Minute);
    await expect(manager.get(session.id, bob)).rejects.toBeInstanceOf(SessionOwnerMismatchError);
    await expect(manager.get(session.id)).rejects.toBeInstanceOf(SessionOwnerMismatchError);
    expect(storage.records.get(session.id)?.expiresAt).toBe(deadline);
    expect(storage.calls.touch).toBe(0);
    // The owner's own request does slide it.
    expect(await manager.get(session.id, alice)).toBeDefined();
    expect(storage.records.get(session.id)?.expiresAt).toBe((deadline ?? 0) + 20 * Minute);
    await manager.close();
  });

  it("the owner's gets write only when the slide is due (granularity), so a busy session costs one read per get", async () => {
    const { storage, manager, advance, now } = setup(60_000);
    const session = await manager.create({ owner: alice });
    const created = storage.records.get(session.id)?.expiresAt;
    for (let i = 0; i < 50; i++) {
      advance(1000); // 50 s in all: below the granularity
      expect(await manager.get(session.id, alice)).toBe(session);
    }
    expect(storage.calls.touch).toBe(0);
    expect(storage.records.get(session.id)?.expiresAt).toBe(created);
    advance(10_000); // 60 s since the last slide: due
    await manager.get(session.id, alice);
    expect(storage.calls.touch).toBe(1);
    expect(storage.records.get(session.id)?.expiresAt).toBe(now() + 30 * Minute);
    expect(storage.calls.load).toBe(51);
    await manager.close();
  });

  it("granularity 0 slides on every get; the granularity is capped at a tenth of the TTL", async () => {
    const every = setup(0);
    const session = await every.manager.create();
    every.advance(1);
    await every.manager.get(session.id);
    every.advance(1);
    await every.manager.get(session.id);
    expect(every.storage.calls.touch).toBe(2);
    await every.manager.close();

    // A real store's clock: a deadline in 1970 would mean "gone" (create refuses it).
    const start = Date.now();
    let now = start;
    const storage = new RecordingStorage();
    const short = new SessionManager({
      storage,
      factory: new MultiSessionFactory({ backends: [], connector: new FakeConnector() }),
      ttlMs: 10_000,
      now: () => now,
    });
    const s = await short.create();
    now = start + 999;
    await short.get(s.id);
    expect(storage.calls.touch).toBe(0);
    now = start + 1000; // a tenth of the 10 s TTL, although the default granularity is 60 s
    await short.get(s.id);
    expect(storage.calls.touch).toBe(1);
    expect(storage.records.get(s.id)?.expiresAt).toBe(start + 11_000);
    expect(
      () =>
        new SessionManager({
          storage,
          factory: new MultiSessionFactory({ backends: [] }),
          ttlSlideGranularityMs: -1,
        }),
    ).toThrow(RangeError);
    await short.close();
  });

  it("a session deleted between the load and the due slide is answered as gone", async () => {
    const { storage, manager, advance } = setup();
    const session = await manager.create();
    advance(5 * Minute);
    const load = storage.load.bind(storage);
    storage.load = async (id, options) => {
      const record = await load(id, options);
      storage.records.delete(id); // another replica terminates it meanwhile
      return record;
    };
    expect(await manager.get(session.id)).toBeUndefined();
    expect(manager.isLive(session.id)).toBe(false);
    await manager.close();
  });
});
