import { SessionVersionConflictError } from "@vmcp/session-core";
import { describe, expect, it } from "vitest";
// Internal names are imported from the built modules: the same instances as the package entry.
import { updateBackends } from "../dist/sessions/backend-list-update.js";
import { RecordingStorage } from "./recording-storage.js";

async function seeded(): Promise<RecordingStorage> {
  const storage = new RecordingStorage();
  await storage.create({
    id: "s1",
    metadata: {
      "vmcp.backend.ids": "a,b",
      "vmcp.backend.session.a": "a-1",
      "vmcp.backend.session.b": "b-1",
      "vmcp.backend.protocol.b": "2025-06-18",
    },
  });
  return storage;
}

/** A storage where another writer always lands between our read and our write. */
class RacingStorage extends RecordingStorage {
  override async update(
    id: string,
    patch: Parameters<RecordingStorage["update"]>[1],
    options?: Parameters<RecordingStorage["update"]>[2],
  ): Promise<boolean> {
    this.writeKey(id, "app.noise", String(this.calls.update));
    return super.update(id, patch, options);
  }
}

describe("updateBackends (one conditional update, retried on conflict)", () => {
  it("drops a backend: list rewritten and every key of it removed in a single update with ifVersion", async () => {
    const storage = await seeded();
    const result = await updateBackends(storage, "s1", { drop: ["b"] });
    const after = { "vmcp.backend.ids": "a", "vmcp.backend.session.a": "a-1" };
    expect(result).toEqual({ found: true, backendIds: "a", metadata: after });
    expect(storage.updates).toHaveLength(1);
    expect(storage.updates[0]?.options).toEqual({ ifVersion: 1 });
    expect(storage.records.get("s1")?.metadata).toEqual(after);
  });

  it("reports the metadata as stored after a retry, with the concurrent writer's key", async () => {
    const storage = await seeded();
    storage.beforeUpdate = (id) => storage.writeKey(id, "app.noise", "1");
    const result = await updateBackends(storage, "s1", {
      set: { "vmcp.backend.session.a": "a-2" },
    });
    expect(storage.calls.update).toBe(2); // the first lost to the concurrent write
    expect(result.metadata).toEqual(storage.records.get("s1")?.metadata);
    expect(result.metadata?.["app.noise"]).toBe("1");
    expect(result.metadata?.["vmcp.backend.session.a"]).toBe("a-2");
  });

  it("never writes back keys of a backend that a concurrent writer removed", async () => {
    const storage = await seeded();
    await updateBackends(storage, "s1", { drop: ["b"] });
    await updateBackends(storage, "s1", {
      set: { "vmcp.backend.session.b": "b-2", "vmcp.backend.session.a": "a-2" },
    });
    const metadata = storage.records.get("s1")?.metadata ?? {};
    expect(metadata["vmcp.backend.session.b"]).toBeUndefined();
    expect(metadata["vmcp.backend.session.a"]).toBe("a-2");
  });

  it("writes nothing when nothing changes, and reports a missing session without creating it", async () => {
    const storage = await seeded();
    expect(await updateBackends(storage, "s1", { drop: ["zzz"] })).toEqual({
      found: true,
      backendIds: "a,b",
      metadata: storage.records.get("s1")?.metadata,
    });
    expect(storage.calls.update).toBe(0);
    expect(await updateBackends(storage, "gone", { drop: ["a"] })).toEqual({
      found: false,
      backendIds: undefined,
      metadata: undefined,
    });
    expect(storage.records.has("gone")).toBe(false);
  });

  it("gives up with SessionVersionConflictError after the bounded number of attempts", async () => {
    const storage = new RacingStorage();
    await storage.create({ id: "s1", metadata: { "vmcp.backend.ids": "a,b" } });
    await expect(
      updateBackends(storage, "s1", { drop: ["b"] }, { attempts: 3 }),
    ).rejects.toBeInstanceOf(SessionVersionConflictError);
    expect(storage.calls.update).toBe(3);
    expect(storage.records.get("s1")?.metadata["vmcp.backend.ids"]).toBe("a,b");
  });
});
