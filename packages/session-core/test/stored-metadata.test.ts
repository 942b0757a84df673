import {
  MultiSessionFactory,
  SessionDecodeError,
  SessionManager,
  type SessionRecord,
} from "@vmcp/session-core";
import { describe, expect, it } from "vitest";
import { RecordingStorage } from "./recording-storage.js";
import { FakeConnector, targets } from "./test-connector.js";
import { managerOver } from "./test-manager.js";

function record(metadata: Record<string, string>): SessionRecord {
  return { id: "stored-session", createdAt: 1, updatedAt: 1, version: 1, metadata };
}

describe("restoreSession's backend change", () => {
  it("is undefined when every stored backend was reattached as it was", async () => {
    const connector = new FakeConnector();
    const factory = new MultiSessionFactory({ backends: targets("alpha", "beta"), connector });
    const made = await factory.makeSession();
    const { session, change } = await factory.restoreSession(record(made.getMetadata()));
    expect(change).toBeUndefined();
    expect(session.backendIds).toEqual(["alpha", "beta"]);
  });

  it("names the backends no longer configured and the keys of backends initialised afresh", async () => {
    const connector = new FakeConnector();
    const wide = new MultiSessionFactory({ backends: targets("alpha", "beta"), connector });
    const made = await wide.makeSession();
    connector.expireSessions("alpha");
    const narrow = new MultiSessionFactory({ backends: targets("alpha"), connector });
    const { session, change } = await narrow.restoreSession(record(made.getMetadata()));
    expect(change?.drop).toEqual(["beta"]);
    expect(change?.set?.["vmcp.backend.session.alpha"]).toBe("alpha-s2");
    expect(session.getMetadata()["vmcp.backend.ids"]).toBe("alpha");
    expect(session.getMetadata()["vmcp.backend.session.alpha"]).toBe("alpha-s2");
  });

  it("reattaches a backend whose stored capabilities are corrupt, with its stored session ID", async () => {
    const connector = new FakeConnector();
    const factory = new MultiSessionFactory({ backends: targets("alpha"), connector });
    const made = await factory.makeSession();
    const metadata = { ...made.getMetadata(), "vmcp.backend.capabilities.alpha": "{broken" };
    await factory.restoreSession(record(metadata));
    const reattach = connector.calls.at(-1);
    expect(reattach?.hint?.sessionId).toBe("alpha-s1");
    expect(reattach?.hint).not.toHaveProperty("capabilities");
  });
});

describe("SessionManager writes the restore's backend change back", () => {
  it("drops a stored backend that is no longer configured even when only its protocol key is left", async () => {
    const connector = new FakeConnector();
    const storage = new RecordingStorage();
    await storage.create({
      id: "stored-session",
      metadata: {
        "vmcp.backend.ids": "alpha,beta",
        "vmcp.backend.session.alpha": "alpha-s1",
        "vmcp.backend.protocol.beta": "2025-11-25",
      },
    });
    const manager = managerOver(storage, connector, ["alpha"]);
    const session = await manager.get("stored-session");
    expect(session?.backendIds).toEqual(["alpha"]);
    const stored = storage.records.get("stored-session")?.metadata ?? {};
    expect(stored["vmcp.backend.ids"]).toBe("alpha");
    expect(stored["vmcp.backend.session.alpha"]).toBe("alpha-s1");
    expect(Object.keys(stored).filter((key) => key.endsWith(".beta"))).toEqual([]);
    await manager.close();
  });

  it("refuses a session whose identity keys are incomplete with SessionDecodeError", async () => {
    const storage = new RecordingStorage();
    await storage.create({
      id: "stored-session",
      metadata: { "vmcp.identity.binding": "h4sh", "vmcp.identity.issuer": "https://idp.example" },
    });
    const manager = new SessionManager({
      storage,
      factory: new MultiSessionFactory({ backends: [], connector: new FakeConnector() }),
    });
    await expect(
      manager.get("stored-session", { issuer: "https://idp.example", subject: "alice" }),
    ).rejects.toThrow(SessionDecodeError);
    await manager.close();
  });
});
