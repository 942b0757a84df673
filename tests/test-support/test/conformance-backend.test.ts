import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernTransport,
} from "@modelcontextprotocol/client";
import { Client as LegacyClient } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as LegacyTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  formatConformanceFailures,
  readConformanceResults,
  startConformanceBackend,
} from "@vmcp/test-support";
import { describe, expect, it } from "vitest";

function firstText(result: object): string {
  const content = "content" in result && Array.isArray(result.content) ? result.content : [];
  const [first] = content as Array<{ type: string; text?: string }>;
  return first?.type === "text" ? (first.text ?? "") : "";
}

describe("startConformanceBackend", () => {
  it("serves a 2026-07-28 client (with an input_required round) and a 2025 client alike", async () => {
    const backend = await startConformanceBackend();
    try {
      const modern = new ModernClient(
        { name: "modern", version: "1.0.0" },
        { versionNegotiation: { mode: "auto" }, capabilities: { elicitation: { form: {} } } },
      );
      modern.setRequestHandler("elicitation/create", async () => ({
        action: "accept",
        content: { name: "Ann" },
      }));
      await modern.connect(new ModernTransport(new URL(backend.url)));
      expect(modern.getProtocolEra()).toBe("modern");
      const greeting = await modern.callTool({
        name: "test_input_required_result_elicitation",
        arguments: {},
      });
      expect(firstText(greeting)).toBe("Hello, Ann!");
      await modern.close();

      const legacy = new LegacyClient({ name: "legacy", version: "1.0.0" });
      const transport = new LegacyTransport(new URL(backend.url));
      await legacy.connect(transport);
      expect(transport.sessionId).toBeUndefined(); // the 2025 leg is stateless
      const names = (await legacy.listTools()).tools.map((t) => t.name);
      expect(names).toContain("test_simple_text");
      const simple = await legacy.callTool({ name: "test_simple_text", arguments: {} });
      expect(firstText(simple)).toBe("This is a simple text response for testing.");
      await legacy.close();
    } finally {
      await backend.close();
    }
  });

  it("answers 403 to a request from a foreign Origin (DNS rebinding) and 404 off /mcp", async () => {
    const backend = await startConformanceBackend();
    try {
      const foreign = await fetch(backend.url, {
        method: "POST",
        headers: { "content-type": "application/json", origin: "http://evil.example" },
        body: "{}",
      });
      expect(foreign.status).toBe(403);
      expect((await fetch(new URL("/other", backend.url))).status).toBe(404);
    } finally {
      await backend.close();
    }
  });
});

describe("readConformanceResults", () => {
  it("sorts checks by scenario, fails a required scenario without results, and formats failures", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vmcp-results-"));
    try {
      const write = async (name: string, checks: unknown[]) => {
        await mkdir(join(dir, name));
        await writeFile(join(dir, name, "checks.json"), JSON.stringify(checks));
      };
      await write("server-tools-list-2026-12-06T23-16-38-820Z", [
        { id: "tools-list", name: "ToolsList", status: "SUCCESS" },
        { id: "wire-schema-valid", name: "WireSchemaValid", status: "WARNING" },
      ]);
      await write("server-caching-2026-12-06T23-16-39-001Z", [
        { id: "sep-2549-ttl", name: "Ttl", status: "FAILURE", errorMessage: "no ttlMs" },
      ]);
      await write("server-tasks-lifecycle-2026-12-06T23-16-40-000Z", [
        { id: "tasks-sync-tool-call", name: "Sync", status: "FAILURE" },
      ]);
      await mkdir(join(dir, "not-a-result"));

      const { requiredScenarios, unscored } = await readConformanceResults(dir, [
        "tools-list",
        "caching",
        "prompts-list",
      ]);
      expect([...requiredScenarios.keys()]).toEqual(["tools-list", "caching", "prompts-list"]);
      expect(requiredScenarios.get("tools-list")).toMatchObject({ passed: true });
      expect(requiredScenarios.get("tools-list")?.warnings).toHaveLength(1);
      expect(requiredScenarios.get("caching")?.passed).toBe(false);
      expect(requiredScenarios.get("prompts-list")?.failures[0]?.id).toBe("no-results");
      expect([...unscored.keys()]).toEqual(["tasks-lifecycle"]);
      expect(formatConformanceFailures(requiredScenarios)).toBe(
        [
          "caching: sep-2549-ttl: no ttlMs",
          "prompts-list: no-results: the tool wrote no results for required scenario prompts-list",
        ].join("\n"),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
