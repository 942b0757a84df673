import type { SessionOwner } from "@vmcp/session-core";
import { MetadataKeyLoggingLevel } from "@vmcp/session-keys";
import { describe, expect, it } from "vitest";
import { RecordingStorage } from "./recording-storage.js";
import { FakeConnector } from "./test-connector.js";
import { managerOver } from "./test-manager.js";

const alice: SessionOwner = { issuer: "https://idp.example", subject: "alice" };
const secret = "test-binding-secret";

/** Two replicas (two managers) over one storage that counts its calls. */
function replicas() {
  const connector = new FakeConnector();
  const storage = new RecordingStorage();
  const make = () => managerOver(storage, connector, ["alpha", "beta"], { bindingSecret: secret });
  return { storage, a: make(), b: make() };
}

/** How the gateway stores a client's `logging/setLevel`: one unconditional update of the key. */
async function storeLevel(storage: RecordingStorage, id: string, level: string): Promise<void> {
  expect(await storage.update(id, { set: { [MetadataKeyLoggingLevel]: level } })).toBe(true);
}

describe("SessionManager.storedMetadata", () => {
  it("is the record create wrote, on the creating replica only, read with no store call", async () => {
    const { storage, a, b } = replicas();
    const session = await a.create({ owner: alice });
    const calls = { ...storage.calls };
    expect(a.storedMetadata(session.id)).toEqual(storage.records.get(session.id)?.metadata);
    expect(a.storedMetadata(session.id)?.["vmcp.identity.subject"]).toBe("alice");
    expect(b.storedMetadata(session.id)).toBeUndefined();
    expect(a.storedMetadata("never-made")).toBeUndefined();
    expect(storage.calls).toEqual(calls);
  });

  it("shows a level another replica stored after this replica's next get, which loads once", async () => {
    const { storage, a, b } = replicas();
    const session = await a.create({ owner: alice });
    await b.get(session.id, alice); // replica B restores the session and serves setLevel
    await storeLevel(storage, session.id, "debug");
    expect(b.storedMetadata(session.id)?.[MetadataKeyLoggingLevel]).toBeUndefined(); // as of B's get
    expect(a.storedMetadata(session.id)?.[MetadataKeyLoggingLevel]).toBeUndefined(); // as of create

    const loads = storage.calls.load;
    expect(await a.get(session.id, alice)).toBeDefined();
    expect(a.storedMetadata(session.id)?.[MetadataKeyLoggingLevel]).toBe("debug");
    expect(a.storedMetadata(session.id)).toEqual(storage.records.get(session.id)?.metadata);
    expect(storage.calls.load - loads).toBe(1); // get's own load; reading the sight costs none

    await storeLevel(storage, session.id, "error");
    await a.get(session.id, alice);
    expect(a.storedMetadata(session.id)?.[MetadataKeyLoggingLevel]).toBe("error");
    expect(storage.calls.load - loads).toBe(2);
  });

  it("is the record a restoring get loaded, on the replica that restored it", async () => {
    const { storage, a, b } = replicas();
    const session = await a.create({ owner: alice });
    await storeLevel(storage, session.id, "warning");
    const loads = storage.calls.load;
    await b.get(session.id, alice);
    expect(b.storedMetadata(session.id)?.[MetadataKeyLoggingLevel]).toBe("warning");
    expect(storage.calls.load - loads).toBe(1);
  });

  it("follows the manager's own backend writes, keeping keys others wrote", async () => {
    const { storage, a } = replicas();
    const session = await a.create({ owner: alice });
    await storeLevel(storage, session.id, "info");
    await a.get(session.id, alice);
    await a.removeBackend(session.id, "beta");
    const seen = a.storedMetadata(session.id);
    expect(seen?.["vmcp.backend.ids"]).toBe("alpha");
    expect(seen?.["vmcp.backend.session.beta"]).toBeUndefined();
    expect(seen?.[MetadataKeyLoggingLevel]).toBe("info");
    expect(seen).toEqual(storage.records.get(session.id)?.metadata);
  });

  it("is frozen: a caller cannot change what the next caller reads", async () => {
    const { a } = replicas();
    const session = await a.create({ owner: alice });
    const seen = a.storedMetadata(session.id) as Record<string, string>;
    expect(Object.isFrozen(seen)).toBe(true);
    expect(() => {
      seen[MetadataKeyLoggingLevel] = "debug";
    }).toThrow(TypeError);
    expect(a.storedMetadata(session.id)?.[MetadataKeyLoggingLevel]).toBeUndefined();
  });

  it("is undefined once the session is no longer live here: evicted, terminated, or found gone", async () => {
    const { a, b } = replicas();
    const evicted = await a.create({ owner: alice });
    await evicted.evict();
    expect(a.storedMetadata(evicted.id)).toBeUndefined();

    const terminated = await a.create({ owner: alice });
    await a.terminate(terminated.id, alice);
    expect(a.storedMetadata(terminated.id)).toBeUndefined();

    const gone = await a.create({ owner: alice });
    await b.terminate(gone.id, alice); // another replica ends it
    expect(a.storedMetadata(gone.id)).toBeDefined(); // A has not looked since
    expect(await a.get(gone.id, alice)).toBeUndefined();
    expect(a.storedMetadata(gone.id)).toBeUndefined();
  });
});
