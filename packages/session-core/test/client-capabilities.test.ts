import { MultiSessionFactory, SessionManager } from "@vmcp/session-core";
import { describe, expect, it } from "vitest";
import { RecordingStorage } from "./recording-storage.js";
import { FakeConnector, targets } from "./test-connector.js";

const client = {
  protocolVersion: "2025-11-25",
  capabilities: { sampling: {}, elicitation: { form: {}, url: {} }, roots: { listChanged: true } },
  clientInfo: { name: "c", version: "1" },
};

/** The connect context of a session with `client`: its capabilities and its name and version. */
function declared(sessionId: string) {
  return { sessionId, clientCapabilities: client.capabilities, clientInfo: client.clientInfo };
}

function manager(connector: FakeConnector, storage = new RecordingStorage()) {
  return new SessionManager({
    storage,
    factory: new MultiSessionFactory({ backends: targets("alpha", "beta"), connector }),
    bindingSecret: "client-capabilities-secret",
  });
}

describe("the client's capabilities and info are declared to every backend", () => {
  it("at create, to each backend", async () => {
    const connector = new FakeConnector();
    const session = await manager(connector).create({ client });
    // The session is named too, so the backend's own messages can be relayed to its client.
    expect(connector.calls.map((c) => c.context)).toEqual([
      declared(session.id),
      declared(session.id),
    ]);
  });

  it("at restore on another replica, read from the stored record (a backend that forgot the session initializes again with them)", async () => {
    const connector = new FakeConnector();
    const storage = new RecordingStorage();
    const session = await manager(connector, storage).create({ client });
    connector.expireSessions("beta");
    connector.calls.length = 0;
    const restored = await manager(connector, storage).get(session.id);
    expect(restored?.backendIds).toEqual(["alpha", "beta"]);
    const betaCalls = connector.calls.filter((c) => c.workloadId === "beta");
    expect(betaCalls.map((c) => c.hint === undefined)).toEqual([false, true]);
    for (const call of connector.calls) {
      expect(call.context).toEqual(declared(session.id));
    }
  });

  it("at recovery of a backend whose session expired mid-session", async () => {
    const connector = new FakeConnector();
    const session = await manager(connector).create({ client });
    await session.listTools();
    connector.expireSessions("alpha");
    connector.calls.length = 0;
    await session.callTool("alpha__echo", {}).catch(() => session.callTool("echo", {}));
    const fresh = connector.calls.filter((c) => c.workloadId === "alpha" && c.hint === undefined);
    expect(fresh.length).toBeGreaterThan(0);
    for (const call of fresh) {
      expect(call.context).toEqual(declared(session.id));
    }
  });

  it("a session without client info declares nothing (only the session is named)", async () => {
    const connector = new FakeConnector();
    const session = await manager(connector).create({});
    expect(connector.calls.map((c) => c.context)).toEqual([
      { sessionId: session.id },
      { sessionId: session.id },
    ]);
  });
});
