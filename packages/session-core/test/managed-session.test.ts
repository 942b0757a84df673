import { describe, expect, it } from "vitest";
import { RecordingStorage } from "./recording-storage.js";
import { FakeConnector } from "./test-connector.js";
import { managerOver } from "./test-manager.js";

function manager(storage: RecordingStorage, connector: FakeConnector) {
  return managerOver(storage, connector, ["alpha", "beta"]);
}

describe("ManagedSession: letting go of a backend or of the session", () => {
  it("removeBackend removes the backend from the stored metadata as well as from the live session", async () => {
    const storage = new RecordingStorage();
    const a = manager(storage, new FakeConnector());
    const session = await a.create();
    await session.removeBackend("beta");
    expect(session.backendIds).toEqual(["alpha"]);
    const stored = storage.records.get(session.id)?.metadata ?? {};
    expect(stored["vmcp.backend.ids"]).toBe("alpha");
    expect(Object.keys(stored).filter((key) => key.endsWith(".beta"))).toEqual([]);
    await a.close();
  });

  it("evict lets go of the session on this replica only: the record stays and the next get restores it", async () => {
    const storage = new RecordingStorage();
    const connector = new FakeConnector();
    const a = manager(storage, connector);
    const session = await a.create();
    await session.evict();
    expect(a.isLive(session.id)).toBe(false);
    expect(storage.records.has(session.id)).toBe(true);
    const again = await a.get(session.id);
    expect(again?.backendIds).toEqual(["alpha", "beta"]);
    expect(connector.initializeCount("alpha")).toBe(1); // reattached, not initialised afresh
    await a.close();
  });
});
