import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import {
  type BackendConnection,
  type BackendConnector,
  type BackendTarget,
  ConcurrencyLimit,
  ListRefreshGate,
  MultiSessionFactory,
  type MultiSessionLimits,
  SessionBusyError,
  UnknownToolError,
} from "@vmcp/session-core";
import { describe, expect, it, onTestFinished, vi } from "vitest";
// Internal names are imported from the built modules: the same instances as the package entry.
import { DefaultMultiSession } from "../dist/sessions/multi-session.js";

/** A backend whose tool calls wait until released: shows how many run at once. */
class GatedBackend implements BackendConnection {
  readonly sessionId = "";
  readonly protocolVersion = "2025-06-18";
  readonly capabilities = { tools: {} };
  tools = ["echo"];
  listCount = 0;
  inFlight = 0;
  peakInFlight = 0;
  #waiting: Array<() => void> = [];
  /** When true, tool calls and lists wait for `release`. */
  gated = true;

  constructor(readonly workloadId: string) {}

  async #gate(): Promise<void> {
    this.inFlight++;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    try {
      if (this.gated) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } finally {
      this.inFlight--;
    }
  }

  /** Lets every waiting call finish, and later ones pass at once. */
  release(): void {
    this.gated = false;
    for (const resolve of this.#waiting.splice(0)) resolve();
  }

  async listTools(): Promise<Tool[]> {
    this.listCount++;
    await this.#gate();
    return this.tools.map((name) => ({ name, inputSchema: { type: "object" as const } }));
  }

  async callTool(name: string): Promise<CallToolResult> {
    await this.#gate();
    return { content: [{ type: "text", text: `${this.workloadId}:${name}` }] };
  }

  listResources = async () => [];
  readResource = async (uri: string) => ({ contents: [{ uri, text: "" }] });
  listPrompts = async () => [];
  getPrompt = async () => ({ messages: [] });
  close = async () => undefined;
  terminate = async () => undefined;
}

function session(backend: GatedBackend, limits: MultiSessionLimits = {}) {
  return new DefaultMultiSession({ id: "s1", metadata: {}, connections: [backend], limits });
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe("ConcurrencyLimit", () => {
  it("runs at most maxConcurrent tasks, queues maxQueued in order, refuses the rest at once", async () => {
    const limit = new ConcurrencyLimit(2, 3, () => new Error("full"));
    const order: number[] = [];
    const releases: Array<() => void> = [];
    const task = (n: number) => () =>
      new Promise<number>((resolve) => {
        order.push(n);
        releases.push(() => resolve(n));
      });
    const runs = Array.from({ length: 7 }, (_, n) => limit.run(task(n)));
    const refused = await Promise.allSettled(runs.slice(5));
    expect(refused.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(order).toEqual([0, 1]);
    expect([limit.active, limit.queued]).toEqual([2, 3]);
    while (releases.length > 0) {
      releases.shift()?.();
      await settle();
    }
    expect(await Promise.all(runs.slice(0, 5))).toEqual([0, 1, 2, 3, 4]);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect([limit.active, limit.queued]).toEqual([0, 0]);
  });

  it("a waiting task whose signal aborts leaves the queue, and its place is free again", async () => {
    const limit = new ConcurrencyLimit(1, 1, () => new Error("full"));
    let release = () => {};
    const first = limit.run(() => new Promise<void>((resolve) => (release = resolve)));
    const controller = new AbortController();
    const waiting = limit.run(async () => "never", controller.signal);
    await expect(limit.run(async () => "refused")).rejects.toThrow("full");
    controller.abort(new Error("client went away"));
    await expect(waiting).rejects.toThrow("client went away");
    expect(limit.queued).toBe(0);
    const next = limit.run(async () => "ran");
    release();
    await first;
    expect(await next).toBe("ran");
    expect(limit.active).toBe(0);
  });

  it("refuses bad bounds", () => {
    expect(() => new ConcurrencyLimit(0, 1, () => new Error())).toThrow(RangeError);
    expect(() => new ConcurrencyLimit(1, -1, () => new Error())).toThrow(RangeError);
  });
});

describe("a session's backend requests are bounded", () => {
  it("at most maxConcurrentRequests reach the backend; maxQueuedRequests wait; the rest get SessionBusyError", async () => {
    const backend = new GatedBackend("alpha");
    backend.gated = false;
    const s = session(backend, { maxConcurrentRequests: 4, maxQueuedRequests: 10 });
    await s.listTools(); // routing table
    backend.gated = true;
    const calls = Array.from({ length: 100 }, () => s.callTool("echo", {}));
    const outcomes = calls.map((c) =>
      c.then(
        () => "ok",
        (e: unknown) => e,
      ),
    );
    await settle();
    expect(backend.inFlight).toBe(4);
    backend.release();
    const results = await Promise.all(outcomes);
    expect(results.filter((r) => r === "ok")).toHaveLength(14);
    const refused = results.filter((r) => r !== "ok");
    expect(refused).toHaveLength(86);
    for (const error of refused) {
      expect(error).toBeInstanceOf(SessionBusyError);
      expect(error).toMatchObject({ code: "VMCP_SESSION_BUSY", sessionId: "s1", maxConcurrent: 4 });
    }
    expect(backend.peakInFlight).toBe(4);
  });

  it("the defaults bound a 10,000-call burst to 16 in flight", async () => {
    const backend = new GatedBackend("alpha");
    backend.gated = false;
    const s = session(backend);
    await s.listTools();
    backend.gated = true;
    const outcomes = Array.from({ length: 10_000 }, () =>
      s.callTool("echo", {}).then(
        () => "ok",
        (e: unknown) => (e instanceof SessionBusyError ? "busy" : "other"),
      ),
    );
    await settle();
    expect(backend.inFlight).toBe(16);
    backend.release();
    const results = await Promise.all(outcomes);
    expect(results.filter((r) => r === "ok")).toHaveLength(16 + 256);
    expect(results.filter((r) => r === "busy")).toHaveLength(10_000 - 16 - 256);
    expect(backend.peakInFlight).toBe(16);
  });

  it("unknown names trigger one shared refresh, and no other within listRefreshIntervalMs", async () => {
    // The gate's clock is performance.now: fake only it, so a busy machine cannot stretch the
    // interval's window while timers and I/O stay real.
    vi.useFakeTimers({ toFake: ["performance"] });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const backend = new GatedBackend("alpha");
    const s = session(backend, { listRefreshIntervalMs: 200, maxQueuedRequests: 2000 });
    // No table yet: 1,000 unknown names share one refresh.
    const first = Array.from({ length: 1000 }, (_, i) =>
      s.callTool(`nope-${i}`, {}).catch((e: unknown) => e),
    );
    await settle();
    expect(backend.listCount).toBe(1);
    backend.release();
    for (const error of await Promise.all(first)) expect(error).toBeInstanceOf(UnknownToolError);
    expect(backend.listCount).toBe(1);
    // Within the interval: unknown names answer from the table, with no refresh.
    for (let i = 0; i < 100; i++) {
      await expect(s.callTool(`again-${i}`, {})).rejects.toBeInstanceOf(UnknownToolError);
    }
    expect(backend.listCount).toBe(1);
    // A tool the backend added is found by the first unknown-name refresh after the interval.
    backend.tools = ["echo", "added"];
    vi.advanceTimersByTime(199);
    await expect(s.callTool("added", {})).rejects.toBeInstanceOf(UnknownToolError);
    expect(backend.listCount).toBe(1);
    vi.advanceTimersByTime(1);
    expect(await s.callTool("added", {})).toMatchObject({ content: [{ text: "alpha:added" }] });
    expect(backend.listCount).toBe(2);
  });

  it("a forgotten table (backend replaced) refreshes at once, whatever the interval", async () => {
    const backend = new GatedBackend("alpha");
    backend.gated = false;
    const s = session(backend, { listRefreshIntervalMs: 60_000 });
    await expect(s.callTool("missing", {})).rejects.toBeInstanceOf(UnknownToolError);
    expect(backend.listCount).toBe(1);
    const replacement = new GatedBackend("alpha");
    replacement.gated = false;
    replacement.tools = ["fresh"];
    await s.replaceBackend(replacement);
    expect(await s.callTool("fresh", {})).toMatchObject({ content: [{ text: "alpha:fresh" }] });
    expect(replacement.listCount).toBe(1);
  });

  it("the factory hands its limits to every session it makes and refuses bad ones", async () => {
    const backend = new GatedBackend("alpha");
    const connector: BackendConnector = { connect: async () => backend };
    const target: BackendTarget = {
      workloadId: "alpha",
      transport: { kind: "streamable-http", url: "http://127.0.0.1:9/mcp" },
    };
    const factory = new MultiSessionFactory({
      backends: [target],
      connector,
      sessionLimits: { maxConcurrentRequests: 1, maxQueuedRequests: 0 },
    });
    const s = await factory.makeSession();
    const table = s.listTools();
    await settle();
    await expect(s.listTools()).rejects.toBeInstanceOf(SessionBusyError);
    backend.release();
    await table;
    expect(
      () =>
        new MultiSessionFactory({
          backends: [target],
          sessionLimits: { maxConcurrentRequests: 0 },
        }),
    ).toThrow(RangeError);
    expect(
      () =>
        new MultiSessionFactory({
          backends: [target],
          sessionLimits: { listRefreshIntervalMs: -1 },
        }),
    ).toThrow(RangeError);
  });
});

describe("ListRefreshGate", () => {
  it("shares the refresh in flight and rate-limits only while a table exists", async () => {
    let now = 0;
    const gate = new ListRefreshGate(1000, () => now);
    let runs = 0;
    const refresh = async () => {
      runs++;
    };
    await Promise.all([
      gate.refresh({ tableExists: true }, refresh),
      gate.refresh({ tableExists: true }, refresh),
    ]);
    expect(runs).toBe(1);
    now = 999;
    await gate.refresh({ tableExists: true }, refresh);
    expect(runs).toBe(1);
    await gate.refresh({ tableExists: false }, refresh);
    expect(runs).toBe(2);
    now = 2000;
    await gate.refresh({ tableExists: true }, refresh);
    expect(runs).toBe(3);
  });
});
