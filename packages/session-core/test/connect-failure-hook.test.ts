import { type BackendConnectFailure, MultiSessionFactory } from "@vmcp/session-core";
import { describe, expect, it } from "vitest";
import { FakeConnector, targets } from "./test-connector.js";

interface Told {
  readonly workloadId: string;
  readonly error: unknown;
  readonly failure: BackendConnectFailure;
}

describe("onConnectError: where a backend connect failed", () => {
  it("names the phase and the session: initialize for a new session, restore for a stored one", async () => {
    const connector = new FakeConnector();
    const told: Told[] = [];
    const factory = new MultiSessionFactory({
      backends: targets("alpha", "beta"),
      connector,
      onConnectError: (workloadId, error, failure) => told.push({ workloadId, error, failure }),
    });
    const made = await factory.makeSession();
    expect(told).toEqual([]);

    const refused = new Error("connect ECONNREFUSED 127.0.0.1:1");
    connector.specs.set("beta", { fail: refused });
    const fresh = await factory.makeSession({ id: "fresh-session" });
    expect(fresh.backendIds).toEqual(["alpha"]);
    expect(told).toEqual([
      {
        workloadId: "beta",
        error: refused,
        failure: { phase: "initialize", sessionId: "fresh-session" },
      },
    ]);

    const record = {
      id: made.id,
      createdAt: 1,
      updatedAt: 1,
      version: 1,
      metadata: made.getMetadata(),
    };
    const { session } = await factory.restoreSession(record);
    expect(session.backendIds).toEqual(["alpha"]);
    expect(told.slice(1)).toEqual([
      { workloadId: "beta", error: refused, failure: { phase: "restore", sessionId: made.id } },
    ]);
  });

  it("an observer that throws fails neither the new session nor the restore", async () => {
    const connector = new FakeConnector({ beta: { fail: new Error("down") } });
    let calls = 0;
    const factory = new MultiSessionFactory({
      backends: targets("alpha", "beta"),
      connector,
      onConnectError: () => {
        calls++;
        throw new Error("observer bug");
      },
    });
    const made = await factory.makeSession();
    expect(made.backendIds).toEqual(["alpha"]);
    const record = {
      id: made.id,
      createdAt: 1,
      updatedAt: 1,
      version: 1,
      metadata: { ...made.getMetadata(), "vmcp.backend.ids": "alpha,beta" },
    };
    const { session } = await factory.restoreSession(record);
    expect(session.backendIds).toEqual(["alpha"]);
    expect(calls).toBe(2);
  });
});
