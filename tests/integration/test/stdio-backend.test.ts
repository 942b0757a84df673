import { MultiSessionFactory, SessionManager } from "@vmcp/session-core";
import { backendSessionKey } from "@vmcp/session-keys";
import { MemoryStorage } from "@vmcp/store-memory";
import { stdioBackendScript } from "@vmcp/test-support";
import { afterEach, describe, expect, it } from "vitest";

const script = stdioBackendScript;

function text(result: { content: unknown }): string {
  return (result.content as Array<{ text?: string }>)[0]?.text ?? "";
}

describe("stdio backend through McpBackendConnector", () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0)) await fn();
  });

  it("connects a spawned stdio server, stores an empty session ID, and a second replica spawns its own", async () => {
    const storage = new MemoryStorage();
    const make = () =>
      new SessionManager({
        storage,
        factory: new MultiSessionFactory({
          backends: [
            {
              workloadId: "local",
              transport: { kind: "stdio", command: process.execPath, args: [script] },
            },
          ],
        }),
      });
    const a = make();
    const b = make();
    cleanup.push(
      () => a.close(),
      () => b.close(),
    );
    const session = await a.create();
    const stored = await storage.load(session.id);
    expect(stored?.metadata[backendSessionKey("local")]).toBe("");
    expect(stored?.metadata["vmcp.backend.protocol.local"]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const first = text(await session.callTool("shout", { text: "hi" }));
    expect(first).toMatch(/^HI from \d+$/);
    const onB = await b.get(session.id);
    const second = onB ? text(await onB.callTool("shout", { text: "hi" })) : "";
    expect(second).toMatch(/^HI from \d+$/);
    expect(second).not.toBe(first); // another process
  });

  it("a stdio command that does not exist fails that backend only, with no keys written", async () => {
    const errors: unknown[] = [];
    const factory = new MultiSessionFactory({
      backends: [
        { workloadId: "ghost", transport: { kind: "stdio", command: "/nonexistent/vmcp-ghost" } },
      ],
      onConnectError: (_id, e) => errors.push(e),
    });
    const session = await factory.makeSession();
    expect(session.backendIds).toEqual([]);
    expect(session.getMetadata()).toEqual({});
    expect(errors[0]).toMatchObject({ code: "VMCP_BACKEND_CONNECT", workloadId: "ghost" });
  });
});
