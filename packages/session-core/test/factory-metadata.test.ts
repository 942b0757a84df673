import { setTimeout as sleep } from "node:timers/promises";
import { BackendConnectError, MultiSessionFactory } from "@vmcp/session-core";
import {
  MetadataKeyBackendIds,
  MetadataKeyBackendSessionPrefix,
  parseBackendSessionKey,
} from "@vmcp/session-keys";
import { describe, expect, it } from "vitest";
import { FakeConnector, targets } from "./test-connector.js";

/** The `vmcp.backend.session.*` entries of a metadata map, by workload ID. */
function backendSessionEntries(metadata: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata)) {
    const id = parseBackendSessionKey(key);
    if (id !== undefined) out[id] = value;
  }
  return out;
}

describe("makeSession backend session metadata (the Go task rc8: vmcp.backend.session.<workloadID> per connected backend)", () => {
  it('MetadataKeyBackendSessionPrefix has the expected value "vmcp.backend.session." (constant value guard)', () => {
    expect(MetadataKeyBackendSessionPrefix).toBe("vmcp.backend.session.");
  });

  it("two successful backends: GetMetadata contains vmcp.backend.session.{workloadID} for each with the expected session IDs", async () => {
    const connector = new FakeConnector({
      alpha: { sessionIds: ["sess-alpha"] },
      beta: { sessionIds: ["sess-beta"] },
    });
    const factory = new MultiSessionFactory({ backends: targets("beta", "alpha"), connector });
    const session = await factory.makeSession();
    const metadata = session.getMetadata();
    expect(metadata["vmcp.backend.session.alpha"]).toBe("sess-alpha");
    expect(metadata["vmcp.backend.session.beta"]).toBe("sess-beta");
    expect(backendSessionEntries(metadata)).toEqual({ alpha: "sess-alpha", beta: "sess-beta" });
    expect(session.backendIds).toEqual(["alpha", "beta"]);
  });

  it("zero successful backends: no vmcp.backend.session.* keys and no vmcp.backend.ids are written", async () => {
    const boom = new Error("refused");
    const connector = new FakeConnector({ alpha: { fail: boom }, beta: { fail: boom } });
    const failures: string[] = [];
    const factory = new MultiSessionFactory({
      backends: targets("alpha", "beta"),
      connector,
      onConnectError: (id) => failures.push(id),
    });
    const session = await factory.makeSession();
    const metadata = session.getMetadata();
    expect(Object.keys(metadata).filter((k) => k.startsWith("vmcp.backend."))).toEqual([]);
    expect(session.backendIds).toEqual([]);
    expect(failures.sort()).toEqual(["alpha", "beta"]);
  });

  it("zero configured backends: an empty session with no backend keys at all", async () => {
    const factory = new MultiSessionFactory({ backends: [], connector: new FakeConnector() });
    const session = await factory.makeSession();
    expect(session.getMetadata()).toEqual({});
  });

  it("partial backend failure: only the successful backend's per-session-ID key is written; the failed backend's key is absent", async () => {
    const connector = new FakeConnector({
      good: { sessionIds: ["g-1"] },
      bad: { fail: new Error("connection refused") },
    });
    const factory = new MultiSessionFactory({ backends: targets("good", "bad"), connector });
    const session = await factory.makeSession();
    const metadata = session.getMetadata();
    expect(metadata["vmcp.backend.session.good"]).toBe("g-1");
    expect("vmcp.backend.session.bad" in metadata).toBe(false);
    expect(metadata[MetadataKeyBackendIds]).toBe("good");
    expect(session.backendIds).toEqual(["good"]);
  });

  it("partial failure by timeout: a backend that never answers is cut off by connectTimeoutMs and left out", async () => {
    const connector = new FakeConnector({ slow: { hang: true }, fast: { sessionIds: ["f-1"] } });
    const errors: unknown[] = [];
    const factory = new MultiSessionFactory({
      backends: targets("slow", "fast"),
      connector,
      connectTimeoutMs: 50,
      onConnectError: (_id, error) => errors.push(error),
    });
    const session = await factory.makeSession();
    expect(session.backendIds).toEqual(["fast"]);
    expect(session.getMetadata()[MetadataKeyBackendIds]).toBe("fast");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(BackendConnectError);
    expect((errors[0] as BackendConnectError).message).toMatch(/timed out after 50 ms/);
  });

  it("MetadataKeyBackendIds behavior is unchanged: still written as a comma-separated, sorted list of workload IDs alongside the per-backend keys", async () => {
    const factory = new MultiSessionFactory({
      backends: targets("zeta", "alpha", "mu"),
      connector: new FakeConnector(),
    });
    const metadata = (await factory.makeSession()).getMetadata();
    expect(metadata[MetadataKeyBackendIds]).toBe("alpha,mu,zeta");
    expect(Object.keys(backendSessionEntries(metadata)).sort()).toEqual(["alpha", "mu", "zeta"]);
  });

  it("per-key values equal the connector's reported session IDs (one entry per successful backend, non-empty)", async () => {
    const connector = new FakeConnector();
    const factory = new MultiSessionFactory({ backends: targets("a", "b", "c"), connector });
    const metadata = (await factory.makeSession()).getMetadata();
    const reported = Object.fromEntries(
      connector.connections.map((c) => [c.workloadId, c.sessionId]),
    );
    expect(backendSessionEntries(metadata)).toEqual(reported);
    for (const value of Object.values(reported)) expect(value).not.toBe("");
  });

  it("backend whose SessionID() returns an empty string: the key is still written with an empty value", async () => {
    const connector = new FakeConnector({ stateless: { sessionIds: [""] }, stateful: {} });
    const factory = new MultiSessionFactory({
      backends: targets("stateless", "stateful"),
      connector,
    });
    const metadata = (await factory.makeSession()).getMetadata();
    expect(Object.hasOwn(metadata, "vmcp.backend.session.stateless")).toBe(true);
    expect(metadata["vmcp.backend.session.stateless"]).toBe("");
    expect(metadata[MetadataKeyBackendIds]).toBe("stateful,stateless");
  });

  it("two backends with the same workload ID: the second write overwrites the first (last writer wins), no crash", async () => {
    const connector = new FakeConnector({ dup: { sessionIds: ["first", "second"] } });
    const factory = new MultiSessionFactory({ backends: targets("dup", "dup"), connector });
    const session = await factory.makeSession();
    const metadata = session.getMetadata();
    expect(metadata["vmcp.backend.session.dup"]).toBe("second");
    expect(metadata[MetadataKeyBackendIds]).toBe("dup");
    expect(session.backendIds).toEqual(["dup"]);
    // The overwritten connection is closed, not leaked.
    expect(connector.connections.find((c) => c.sessionId === "first")?.closed).toBe(true);
  });

  it("the per-backend entries are written inside makeSession, before any wrapping: the bare MultiSession already holds them and no identity key", async () => {
    const factory = new MultiSessionFactory({
      backends: targets("a"),
      connector: new FakeConnector(),
    });
    const metadata = (await factory.makeSession()).getMetadata();
    expect(metadata["vmcp.backend.session.a"]).toBe("a-s1");
    expect(Object.keys(metadata).some((k) => k.startsWith("vmcp.identity."))).toBe(false);
  });

  it("connects backends in parallel: every connect starts before any finishes", async () => {
    let inFlight = 0;
    let peak = 0;
    const connector = new FakeConnector();
    const slow = {
      async connect(...args: Parameters<FakeConnector["connect"]>) {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await sleep(20);
        inFlight--;
        return connector.connect(...args);
      },
    };
    const factory = new MultiSessionFactory({
      backends: targets("a", "b", "c", "d"),
      connector: slow,
    });
    await factory.makeSession();
    expect(peak).toBe(4);
  });

  it("refuses a workload ID that would corrupt the comma list or a key, at construction", () => {
    for (const bad of ["", "a,b", "a b", "a\nb"]) {
      expect(
        () => new MultiSessionFactory({ backends: targets(bad), connector: new FakeConnector() }),
      ).toThrow(expect.objectContaining({ code: "VMCP_INVALID_WORKLOAD_ID" }));
    }
  });

  it("writes the protocol version and capabilities keys and the client info next to the session keys", async () => {
    const factory = new MultiSessionFactory({
      backends: targets("a"),
      connector: new FakeConnector(),
    });
    const session = await factory.makeSession({
      id: "fixed-id",
      client: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "c", version: "1" },
      },
    });
    const metadata = session.getMetadata();
    expect(session.id).toBe("fixed-id");
    expect(metadata["vmcp.backend.protocol.a"]).toBe("2025-06-18");
    expect(JSON.parse(metadata["vmcp.backend.capabilities.a"] ?? "null")).toEqual({
      tools: {},
      resources: {},
      prompts: {},
    });
    expect(metadata["vmcp.client.protocol_version"]).toBe("2025-06-18");
    expect(session.client?.clientInfo.name).toBe("c");
  });
});
