import { setTimeout as sleep } from "node:timers/promises";
import { type BackendRetryOptions, MultiSessionFactory, SessionManager } from "@vmcp/session-core";
import { describe, expect, it } from "vitest";
import { RecordingStorage } from "./recording-storage.js";
import { FakeConnector, targets } from "./test-connector.js";

/** Two replicas over one storage; only replica B's restores meet the scripted failures. */
function replicas(retry: BackendRetryOptions, connectTimeoutMs = 5_000) {
  const connector = new FakeConnector();
  const storage = new RecordingStorage();
  const make = (c: FakeConnector) =>
    new SessionManager({
      storage,
      factory: new MultiSessionFactory({
        backends: targets("alpha", "beta"),
        connector: c,
        connectTimeoutMs,
      }),
      backendRetry: retry,
    });
  return { connector, storage, a: make(connector), b: make(connector) };
}

/** Connects the connector was asked for, for one workload ID. */
function connectsOf(connector: FakeConnector, workloadId: string): number {
  return connector.calls.filter((c) => c.workloadId === workloadId).length;
}

describe("SessionManager: a backend unreachable during a restore is retried", () => {
  it("stays stored, is retried after its backoff on a later request, and both replicas then serve the same tools", async () => {
    const { connector, storage, a, b } = replicas({
      initialDelayMs: 50,
      maxDelayMs: 200,
      waitMs: 2_000,
    });
    const session = await a.create();
    const names = async (m: SessionManager) =>
      ((await (await m.get(session.id))?.listTools()) ?? []).map((t) => t.name).sort();
    const onA = await names(a);
    expect(onA).toEqual(["alpha__echo", "beta__echo"]);

    const alpha = connector.specs.get("alpha");
    if (alpha === undefined) throw new Error("no alpha spec");
    alpha.fail = new Error("connect ECONNREFUSED");
    const onB = await b.get(session.id);
    expect(onB?.backendIds).toEqual(["beta"]);
    expect(storage.records.get(session.id)?.metadata["vmcp.backend.ids"]).toBe("alpha,beta");
    expect(await names(b)).toEqual(["echo"]); // the replicas disagree while alpha is away

    // Within the backoff, requests do not try again.
    const tried = connectsOf(connector, "alpha");
    await b.get(session.id);
    expect(connectsOf(connector, "alpha")).toBe(tried);

    delete alpha.fail;
    await sleep(80); // past the 50 ms (+20% jitter at most) backoff
    const back = await b.get(session.id);
    expect(back?.backendIds).toEqual(["alpha", "beta"]);
    expect(await names(b)).toEqual(onA);
    // Reattached with the stored backend session: no new initialize, the same ID in storage.
    expect(connector.initializeCount("alpha")).toBe(1);
    expect(connector.calls.at(-1)?.hint?.sessionId).toBe("alpha-s1");
    const stored = storage.records.get(session.id)?.metadata ?? {};
    expect(stored["vmcp.backend.ids"]).toBe("alpha,beta");
    expect(stored["vmcp.backend.session.alpha"]).toBe("alpha-s1");
    const call = await back?.callTool("alpha__echo", { n: 1 });
    expect(call?.content).toEqual([{ type: "text", text: 'alpha:echo:{"n":1}' }]);
  });

  it("a retry that hangs holds a request for at most waitMs, and only one try per backend is in flight", async () => {
    // connectTimeoutMs 2,500: far from the 100 ms wait, so the bound below can have 2 s of slack.
    const { connector, a, b } = replicas(
      { initialDelayMs: 20, maxDelayMs: 40, waitMs: 100 },
      2_500,
    );
    const session = await a.create();
    const alpha = connector.specs.get("alpha");
    if (alpha === undefined) throw new Error("no alpha spec");
    alpha.fail = new Error("connect ECONNREFUSED");
    expect((await b.get(session.id))?.backendIds).toEqual(["beta"]);
    delete alpha.fail;
    alpha.hang = true; // accepts and never answers, like a SIGSTOPped process
    await sleep(40);
    const tried = connectsOf(connector, "alpha");
    const started = performance.now();
    const got = await b.get(session.id);
    const waited = performance.now() - started;
    expect(got?.backendIds).toEqual(["beta"]);
    expect(waited).toBeGreaterThanOrEqual(90);
    expect(waited).toBeLessThan(2_100); // 100 ms bound, with slack for a busy machine
    expect(connectsOf(connector, "alpha")).toBe(tried + 1);
    await b.get(session.id);
    await b.get(session.id);
    expect(connectsOf(connector, "alpha")).toBe(tried + 1); // still the same try in flight

    // The hanging try times out (connectTimeoutMs 2,500), then the backend answers again.
    alpha.hang = false;
    const deadline = performance.now() + 10_000;
    let ids: readonly string[] | undefined = [];
    while (performance.now() < deadline) {
      ids = (await b.get(session.id))?.backendIds;
      if (ids?.includes("alpha")) break;
      await sleep(25);
    }
    expect(ids).toEqual(["alpha", "beta"]);
  }, 20_000);

  it("tries of a backend that stays down are spaced by the doubling backoff, capped at maxDelayMs", async () => {
    const { connector, storage, a, b } = replicas({
      initialDelayMs: 40,
      maxDelayMs: 80,
      waitMs: 0,
    });
    const session = await a.create();
    const alpha = connector.specs.get("alpha");
    if (alpha === undefined) throw new Error("no alpha spec");
    alpha.fail = new Error("connect ECONNREFUSED");
    await b.get(session.id);
    const first = connectsOf(connector, "alpha");
    // At least 40 requests and at least 600 ms: a busy machine stretches the time, never the
    // count, and the bound on tries follows the time that really passed.
    let requests = 0;
    const started = performance.now();
    while (requests < 40 || performance.now() - started < 600) {
      await b.get(session.id);
      requests++;
      await sleep(2);
    }
    const elapsed = performance.now() - started;
    const tries = connectsOf(connector, "alpha") - first;
    // Tries are >= 32 ms (40 * 0.8) apart, most of them >= 64 ms; requests come every ~2 ms.
    expect(tries).toBeGreaterThanOrEqual(2);
    expect(tries).toBeLessThanOrEqual(Math.ceil(elapsed / 32) + 1);
    // A brief outage never erases the backend from the stored record.
    expect(storage.records.get(session.id)?.metadata["vmcp.backend.ids"]).toBe("alpha,beta");
  });

  it("refuses bad backendRetry options", () => {
    const bad: BackendRetryOptions[] = [
      { initialDelayMs: 0 },
      { initialDelayMs: 1.5 },
      { initialDelayMs: 100, maxDelayMs: 50 },
      { waitMs: -1 },
    ];
    for (const backendRetry of bad) {
      expect(
        () =>
          new SessionManager({
            storage: new RecordingStorage(),
            factory: new MultiSessionFactory({ backends: targets("alpha") }),
            backendRetry,
          }),
      ).toThrow(RangeError);
    }
  });
});
