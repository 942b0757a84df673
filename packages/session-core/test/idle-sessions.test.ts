import { setTimeout as sleep } from "node:timers/promises";
import { waitUntil } from "@vmcp/test-support";
import { describe, expect, it } from "vitest";
import { RecordingStorage } from "./recording-storage.js";
import { FakeConnector } from "./test-connector.js";
import { managerOver } from "./test-manager.js";

function manager(idleTimeoutMs: number) {
  const connector = new FakeConnector();
  const storage = new RecordingStorage();
  const m = managerOver(storage, connector, ["alpha"], { idleTimeoutMs });
  return { connector, storage, m };
}

describe("SessionManager: idle sessions", () => {
  it("an idle session closes its connections (not the backend session) and leaves the cache; its record stays and the next get restores it", async () => {
    const { connector, storage, m } = manager(100);
    const session = await m.create();
    const first = connector.connections[0];
    await waitUntil(() => !m.isLive(session.id), 2_000);
    expect(first?.closed).toBe(true);
    expect(first?.terminated).toBe(false);
    expect(storage.records.get(session.id)?.metadata["vmcp.backend.ids"]).toBe("alpha");
    const back = await m.get(session.id);
    expect(back?.backendIds).toEqual(["alpha"]);
    expect(connector.calls.at(-1)?.hint?.sessionId).toBe("alpha-s1"); // reattached
    expect(m.isLive(session.id)).toBe(true);
    await m.close();
  });

  it("requests keep a session live; one in flight past the idle time is not interrupted", async () => {
    // Idle time 250 ms against requests 50 ms apart: 200 ms of slack for a late timer.
    const { connector, m } = manager(250);
    const session = await m.create();
    const first = connector.connections[0];
    for (let i = 0; i < 6; i++) {
      await sleep(50);
      await (await m.get(session.id))?.listTools();
    }
    expect(m.isLive(session.id)).toBe(true);
    expect(connector.connections[0]).toBe(first); // never closed and restored meanwhile
    expect(first?.closed).toBe(false);
    // A call that takes 1,000 ms (four idle times): the session stays until it is done.
    const connection = connector.connections[0];
    if (connection === undefined) throw new Error("no connection");
    const original = connection.callTool.bind(connection);
    let started = false;
    connection.callTool = async (name, args) => {
      started = true;
      await sleep(1_000);
      return original(name, args);
    };
    const live = await m.get(session.id);
    const call = live?.callTool("echo", {});
    await waitUntil(() => started, 2_000, "the slow call started");
    await sleep(600); // more than two idle times into the call
    expect(m.isLive(session.id)).toBe(true);
    expect(connection.closed).toBe(false);
    expect((await call)?.content).toEqual([{ type: "text", text: "alpha:echo:{}" }]);
    await waitUntil(() => !m.isLive(session.id), 3_000);
    expect(connection.closed).toBe(true);
    await m.close();
  });

  it("idleTimeoutMs 0 keeps idle sessions", async () => {
    const { m } = manager(0);
    const session = await m.create();
    await sleep(150);
    expect(m.isLive(session.id)).toBe(true);
    await m.close();
  });
});
