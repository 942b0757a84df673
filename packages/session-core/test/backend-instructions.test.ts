/**
 * A backend's `initialize` instructions are stored with its other keys and come back on a replica
 * that reattaches to its backend session without `initialize`: real SDK backends over HTTP, the
 * real connector, two managers (two replicas) on one store.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import {
  McpBackendConnector,
  MultiSessionFactory,
  SessionManager,
  type SessionSizeLimits,
} from "@vmcp/session-core";
import { ReferenceStorage } from "@vmcp/session-core/testing";
import { backendInstructionsKey } from "@vmcp/session-keys";
import { startMcpBackend, type TestBackend } from "@vmcp/test-support";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

/** Instructions with a line break, a heading-like line and non-ASCII text, to be kept exactly. */
const GuideInstructions = "Search before you create.\n## Not a heading of ours\nÜnïcode — kept.";
/** 300 UTF-8 bytes in 150 characters: over a 256-byte bound only when counted in bytes. */
const LongInstructions = "é".repeat(150);

/** A backend that sends `instructions` at `initialize` (none when `undefined`). */
function serverWith(instructions: string | undefined) {
  return (workloadId: string) =>
    new McpServer(
      { name: workloadId, version: "1.0.0" },
      { capabilities: { tools: {} }, ...(instructions === undefined ? {} : { instructions }) },
    );
}

let guide: TestBackend;
let plain: TestBackend;
let long: TestBackend;
const managers: SessionManager[] = [];

beforeAll(async () => {
  [guide, plain, long] = await Promise.all([
    startMcpBackend("guide", { makeServer: serverWith(GuideInstructions) }),
    startMcpBackend("plain", { makeServer: serverWith(undefined) }),
    startMcpBackend("long", { makeServer: serverWith(LongInstructions) }),
  ]);
});

afterEach(async () => {
  for (const manager of managers.splice(0)) await manager.close();
});

afterAll(async () => {
  await Promise.all([guide?.close(), plain?.close(), long?.close()]);
});

/** One replica: a manager on `storage` whose factory reaches `backends` with its own connector. */
function replica(
  storage: ReferenceStorage,
  backends: readonly TestBackend[],
  sizeLimits?: SessionSizeLimits,
): SessionManager {
  const factory = new MultiSessionFactory({
    backends: backends.map((b) => ({
      workloadId: b.workloadId,
      transport: { kind: "streamable-http", url: b.url },
    })),
    connector: new McpBackendConnector(),
    ...(sizeLimits === undefined ? {} : { sizeLimits }),
  });
  const manager = new SessionManager({ storage, factory });
  managers.push(manager);
  return manager;
}

/** The instructions each backend of a session reports, by workload ID (absent: `undefined`). */
function instructionsOf(session: {
  backendInfo(): readonly { workloadId: string; instructions: string | undefined }[];
}) {
  return Object.fromEntries(session.backendInfo().map((b) => [b.workloadId, b.instructions]));
}

describe("a backend's instructions in the session record", () => {
  it("are written at connect only for a backend that sent some, exactly as sent", async () => {
    const storage = new ReferenceStorage();
    const session = await replica(storage, [guide, plain]).create();
    const stored = (await storage.load(session.id))?.metadata ?? {};
    expect(stored[backendInstructionsKey("guide")]).toBe(GuideInstructions);
    expect(stored).not.toHaveProperty(backendInstructionsKey("plain"));
    expect(instructionsOf(session)).toEqual({ guide: GuideInstructions, plain: undefined });
  });

  it("come back on a replica that reattaches without initialize, as the one that made the session reports them", async () => {
    const storage = new ReferenceStorage();
    const made = await replica(storage, [guide, plain]).create();
    const initialized = guide.initializeCount;
    const restored = await replica(storage, [guide, plain]).get(made.id);
    expect(restored).toBeDefined();
    expect(guide.initializeCount).toBe(initialized); // reattached, not initialised again
    expect(instructionsOf(restored as NonNullable<typeof restored>)).toEqual(instructionsOf(made));
    expect(instructionsOf(made)).toEqual({ guide: GuideInstructions, plain: undefined });
  });

  it("are removed with the backend's other keys when it is removed from the session", async () => {
    const storage = new ReferenceStorage();
    const manager = replica(storage, [guide, plain]);
    const session = await manager.create();
    await manager.removeBackend(session.id, "guide");
    const stored = (await storage.load(session.id))?.metadata ?? {};
    expect(Object.keys(stored).filter((k) => k.endsWith(".guide"))).toEqual([]);
    expect(stored["vmcp.backend.ids"]).toBe("plain");
  });

  it("are written again when an expired backend session is replaced by a fresh initialize", async () => {
    const storage = new ReferenceStorage();
    const manager = replica(storage, [guide]);
    const session = await manager.create();
    const before = (await storage.load(session.id))?.metadata ?? {};
    await guide.forgetSessions();
    await session.listTools(); // the 404 makes the session initialise the backend again
    const after = (await storage.load(session.id))?.metadata ?? {};
    expect(after["vmcp.backend.session.guide"]).not.toBe(before["vmcp.backend.session.guide"]);
    expect(after[backendInstructionsKey("guide")]).toBe(GuideInstructions);
  });
});

describe("instructions a backend stops sending", () => {
  it("are removed from the record when the backend is initialised afresh without them, so no replica reports stale ones", async () => {
    let current: string | undefined = GuideInstructions;
    const changing = await startMcpBackend("changing", {
      makeServer: (id) => serverWith(current)(id),
    });
    try {
      const storage = new ReferenceStorage();
      const session = await replica(storage, [changing]).create();
      const key = backendInstructionsKey("changing");
      expect((await storage.load(session.id))?.metadata[key]).toBe(GuideInstructions);
      current = undefined; // the backend is redeployed without instructions
      await changing.forgetSessions();
      await session.listTools(); // the 404 makes the session initialise it again
      expect((await storage.load(session.id))?.metadata).not.toHaveProperty(key);
      expect(instructionsOf(session)).toEqual({ changing: undefined });
      const restored = await replica(storage, [changing]).get(session.id);
      expect(instructionsOf(restored as NonNullable<typeof restored>)).toEqual({
        changing: undefined,
      });
    } finally {
      await changing.close();
    }
  });
});

describe("instructions over the size limits", () => {
  it("larger than maxMetadataValueBytes (UTF-8 bytes) are not stored; the session is made, and only a restoring replica lacks them", async () => {
    const storage = new ReferenceStorage();
    const limits = { maxMetadataValueBytes: 256 };
    const made = await replica(storage, [guide, long], limits).create();
    const stored = (await storage.load(made.id))?.metadata ?? {};
    expect(stored).not.toHaveProperty(backendInstructionsKey("long"));
    expect(stored[backendInstructionsKey("guide")]).toBe(GuideInstructions);
    expect(instructionsOf(made)).toEqual({ guide: GuideInstructions, long: LongInstructions });

    const restored = await replica(storage, [guide, long], limits).get(made.id);
    expect(instructionsOf(restored as NonNullable<typeof restored>)).toEqual({
      guide: GuideInstructions,
      long: undefined,
    });
  });

  it("that would take a new session's metadata over maxMetadataBytes are left out, largest first, instead of refusing the session", async () => {
    const storage = new ReferenceStorage();
    const roomy = await replica(storage, [guide, long]).create();
    const bytes = (metadata: Record<string, string>) =>
      Object.entries(metadata).reduce((n, [k, v]) => n + Buffer.byteLength(k + v, "utf8"), 0);
    const all = (await storage.load(roomy.id))?.metadata ?? {};
    expect(all[backendInstructionsKey("long")]).toBe(LongInstructions);
    const { [backendInstructionsKey("long")]: _left, ...withoutLong } = all;
    // Room for everything but the long instructions (the session IDs have the same length).
    const maxMetadataBytes = bytes(withoutLong);
    expect(bytes(all)).toBeGreaterThan(maxMetadataBytes);

    const made = await replica(storage, [guide, long], { maxMetadataBytes }).create();
    const stored = (await storage.load(made.id))?.metadata ?? {};
    expect(stored).not.toHaveProperty(backendInstructionsKey("long"));
    expect(stored[backendInstructionsKey("guide")]).toBe(GuideInstructions);
    expect(bytes(stored)).toBeLessThanOrEqual(maxMetadataBytes);
    expect(instructionsOf(made)).toEqual({ guide: GuideInstructions, long: LongInstructions });
  });
});
