import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  BackendConnectError,
  BackendSessionExpiredError,
  McpBackendConnector,
  MultiSessionFactory,
} from "@vmcp/session-core";
import { startMcpBackend, type TestBackend } from "@vmcp/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** A port that refuses connections: a server that was started and closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("McpBackendConnector and the factory against failing backends (real SDK)", () => {
  let good: TestBackend;
  let silent: Server;
  let silentUrl: string;

  beforeAll(async () => {
    good = await startMcpBackend("good");
    // Accepts requests and never answers them.
    silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/mcp`;
    // Load the SDK once, so the connect bound below measures connects, not module loading.
    const warm = await new McpBackendConnector().connect(
      { workloadId: "good", transport: { kind: "streamable-http", url: good.url } },
      undefined,
      AbortSignal.timeout(10_000),
    );
    await warm.terminate();
  });
  afterAll(async () => {
    await good.close();
    silent.closeAllConnections();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it("partial failure: a refused and a silent backend are left out within the connect bound; the good one is written", async () => {
    const refused = `http://127.0.0.1:${await closedPort()}/mcp`;
    const errors = new Map<string, unknown>();
    const factory = new MultiSessionFactory({
      backends: [
        { workloadId: "good", transport: { kind: "streamable-http", url: good.url } },
        { workloadId: "refused", transport: { kind: "streamable-http", url: refused } },
        { workloadId: "silent", transport: { kind: "streamable-http", url: silentUrl } },
      ],
      connectTimeoutMs: 1_500,
      onConnectError: (id, error) => errors.set(id, error),
    });
    const started = Date.now();
    const session = await factory.makeSession();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(session.backendIds).toEqual(["good"]);
    const metadata = session.getMetadata();
    expect(metadata["vmcp.backend.ids"]).toBe("good");
    expect(metadata["vmcp.backend.session.good"]).toBe(good.sessionIds[0]);
    expect(Object.keys(metadata).filter((k) => /\.(refused|silent)$/.test(k))).toEqual([]);
    expect(errors.get("refused")).toBeInstanceOf(BackendConnectError);
    expect(errors.get("silent")).toBeInstanceOf(BackendConnectError);
    expect(String((errors.get("silent") as Error).message)).toMatch(/timed out/);
    await session.terminate();
  });

  it("reattaching to a session the backend does not know rejects with BackendSessionExpiredError", async () => {
    const connector = new McpBackendConnector();
    const target = {
      workloadId: "good",
      transport: { kind: "streamable-http" as const, url: good.url },
    };
    const initializes = good.methods.get("initialize") ?? 0;
    await expect(
      connector.connect(
        target,
        { sessionId: "no-such-session", protocolVersion: "2025-06-18" },
        AbortSignal.timeout(5_000),
      ),
    ).rejects.toBeInstanceOf(BackendSessionExpiredError);
    expect(good.methods.get("initialize") ?? 0).toBe(initializes);
    expect(good.methods.get("ping") ?? 0).toBeGreaterThan(0);
  });

  it("reattach keeps the stored capabilities and protocol version, sends no initialize, and terminate ends the backend session", async () => {
    const connector = new McpBackendConnector();
    const target = {
      workloadId: "good",
      transport: { kind: "streamable-http" as const, url: good.url },
    };
    const fresh = await connector.connect(target, undefined, AbortSignal.timeout(5_000));
    expect(fresh.sessionId).not.toBe("");
    expect(fresh.capabilities?.tools).toBeDefined();
    const initializes = good.methods.get("initialize");
    const hint = {
      sessionId: fresh.sessionId,
      ...(fresh.protocolVersion === undefined ? {} : { protocolVersion: fresh.protocolVersion }),
      ...(fresh.capabilities === undefined ? {} : { capabilities: fresh.capabilities }),
    };
    const again = await connector.connect(target, hint, AbortSignal.timeout(5_000));
    expect(good.methods.get("initialize")).toBe(initializes);
    expect(again.sessionId).toBe(fresh.sessionId);
    expect(again.protocolVersion).toBe(fresh.protocolVersion);
    expect(again.capabilities).toEqual(fresh.capabilities);
    expect((await again.listTools()).map((t) => t.name)).toContain("echo");
    await fresh.close();
    await again.terminate();
    expect(good.sessionIds).not.toContain(fresh.sessionId);
  });
});
