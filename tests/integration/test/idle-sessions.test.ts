import { McpBackendConnector, MultiSessionFactory, SessionManager } from "@vmcp/session-core";
import { MemoryStorage } from "@vmcp/store-memory";
import { stdioBackendScript, waitUntil } from "@vmcp/test-support";
import { afterEach, describe, expect, it } from "vitest";
import { childPids, exists } from "./fixtures/processes.js";

const script = stdioBackendScript;

function text(result: { content: unknown }): string {
  return (result.content as Array<{ text?: string }>)[0]?.text ?? "";
}

/** The PID in a `shout` answer (`HI from <pid>`). */
function pidOf(answer: string): number {
  return Number(/from (\d+)$/.exec(answer)?.[1]);
}

describe("idle sessions close their backend connections and stop their stdio processes", () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it("idle ones stop their processes, one with a call in flight keeps its own, and every record stays and restores", async () => {
    const storage = new MemoryStorage();
    const connector = new McpBackendConnector({ stdioStderr: "ignore" });
    const manager = new SessionManager({
      storage,
      factory: new MultiSessionFactory({
        backends: [
          {
            workloadId: "local",
            transport: { kind: "stdio", command: process.execPath, args: [script] },
          },
        ],
        connector,
      }),
      idleTimeoutMs: 2_500,
    });
    cleanup.push(
      () => storage.close(),
      () => connector.close(),
      () => manager.close(),
    );

    const sessions = await Promise.all([manager.create(), manager.create(), manager.create()]);
    // Like the gateway, every request gets its session first (a held one may have gone idle).
    const call = async (id: string | undefined, name: string, args: Record<string, unknown>) => {
      const live = await manager.get(id ?? "");
      if (live === undefined) throw new Error("session not found");
      return text(await live.callTool(name, args));
    };
    const pids = await Promise.all(
      sessions.map(async (s) => pidOf(await call(s.id, "shout", { text: "hi" }))),
    );
    expect(new Set(pids).size).toBe(3);
    expect(childPids(script).sort()).toEqual([...pids].sort());

    // Session 0 is busy for 5 s, longer than the idle time; the other two are idle.
    const busy = call(sessions[0]?.id, "wait", { ms: 5_000 });
    await waitUntil(() => childPids(script).length === 1, 8_000);
    expect(childPids(script)).toEqual([pids[0]]);
    expect(manager.isLive(sessions[1]?.id ?? "")).toBe(false);
    expect(manager.isLive(sessions[0]?.id ?? "")).toBe(true);
    expect(await busy).toBe(`waited in ${pids[0]}`);

    // Once its call is done, it goes idle too: no stdio child is left.
    await waitUntil(() => childPids(script).length === 0, 10_000);
    // Gone and reaped, not just exited.
    await waitUntil(() => pids.every((pid) => !exists(pid)), 2_000);
    expect(manager.liveCount).toBe(0);
    for (const s of sessions) expect(await storage.load(s.id)).toBeDefined();

    // The next request restores the session: one new process, which serves it.
    const again = pidOf(await call(sessions[1]?.id, "shout", { text: "hi" }));
    expect(childPids(script)).toEqual([again]);
    expect(pids).not.toContain(again);
  }, 60_000);

  it("refuses a negative or fractional idleTimeoutMs", () => {
    for (const idleTimeoutMs of [-1, 1.5]) {
      expect(
        () =>
          new SessionManager({
            storage: new MemoryStorage(),
            factory: new MultiSessionFactory({ backends: [] }),
            idleTimeoutMs,
          }),
      ).toThrow(RangeError);
    }
  });
});
