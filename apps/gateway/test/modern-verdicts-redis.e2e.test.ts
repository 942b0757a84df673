import type { Client } from "@modelcontextprotocol/client";
import { type RedisServer, startRedisServer } from "@vmcp/redis-harness";
import { MetadataKeyBackendEra } from "@vmcp/session-keys";
import { waitUntil } from "@vmcp/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verdictRecordId } from "../dist/http/mcp-2026-07-28/backends/verdict-record.js";
import { type LoggedGateway, startLoggedGateway } from "./helpers/in-process.js";
import { resultText } from "./helpers/mcp-client.js";
import { type ModernBackendFixture, startModernBackend } from "./helpers/modern-backends.js";
import { connectModernClient } from "./helpers/modern-client.js";
import { runCli } from "./helpers/processes.js";

const BindingSecret = "modern-verdicts-redis-secret";
// Long enough for the CLI below to start and read the record on a loaded machine (at 2 s it
// expired first there), short enough to see a second probe within the test's bound.
const VerdictTtlMs = 8_000;

describe("backend era verdicts in Redis, shared by two replicas", () => {
  let redis: RedisServer;
  let backend: ModernBackendFixture;
  const gateways: LoggedGateway[] = [];
  const clients: Client[] = [];

  beforeAll(async () => {
    [redis, backend] = await Promise.all([
      startRedisServer(),
      startModernBackend("modern-a", { legacy: "reject" }),
    ]);
    for (let i = 0; i < 2; i++) {
      gateways.push(
        await startLoggedGateway({
          store: { kind: "redis", url: redis.url },
          bindingSecret: BindingSecret,
          modern: { verdictTtlMs: VerdictTtlMs },
          backends: [{ workloadId: "modern-a", url: backend.url }],
        }),
      );
    }
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    for (const gateway of gateways) await gateway.close();
    await backend?.close();
    await redis?.close();
  });

  const echo = async (gateway: LoggedGateway, text: string) => {
    const client = await connectModernClient(gateway.url);
    clients.push(client);
    const result = await client.request({
      method: "tools/call",
      params: { name: "echo", arguments: { text } },
    });
    return resultText(result);
  };

  it("one probe serves both replicas; the record carries the verdict and its TTL; past the TTL the backend is probed again", async () => {
    const [first, second] = gateways as [LoggedGateway, LoggedGateway];
    expect(await echo(first, "a")).toBe("modern-a: a");
    expect(await echo(second, "b")).toBe("modern-a: b");
    expect(backend.methods.get("server/discover")).toBe(1);

    const id = verdictRecordId({ url: backend.url }, BindingSecret);
    const record = await second.gateway.storage.load(id);
    const verdict = JSON.parse(record?.metadata[MetadataKeyBackendEra] ?? "{}") as {
      kind?: string;
      storedAt?: number;
    };
    expect(verdict.kind).toBe("modern");
    expect(record?.expiresAt).toBe((verdict.storedAt ?? 0) + VerdictTtlMs);

    // The operator's view: `sessions show` decodes the record without a problem.
    const shown = await runCli([
      "sessions",
      "show",
      "--json",
      "--store",
      "redis",
      "--redis-url",
      redis.url,
      "--",
      id,
    ]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      id,
      backends: [],
      metadata: { [MetadataKeyBackendEra]: expect.stringContaining('"kind":"modern"') },
    });

    // Requests keep coming; once the verdict is older than its TTL, one replica probes again.
    await waitUntil(
      async () => {
        await echo(gateways[Date.now() % 2] as LoggedGateway, "again");
        return (backend.methods.get("server/discover") ?? 0) >= 2;
      },
      30_000,
      "a second probe after the verdict TTL",
      100,
    );
    const renewed = await first.gateway.storage.load(id);
    const next = JSON.parse(renewed?.metadata[MetadataKeyBackendEra] ?? "{}") as {
      storedAt?: number;
    };
    expect(next.storedAt).toBeGreaterThan(verdict.storedAt ?? 0);
  });
});
