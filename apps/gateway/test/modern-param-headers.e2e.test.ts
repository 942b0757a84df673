/**
 * `Mcp-Param-*` validation at the gateway's edge (MCP 2026-07-28, `x-mcp-header`): the gateway's
 * low-level SDK `Server` gets no such check from the SDK, so the gateway checks a `tools/call`'s
 * headers against the aggregated tool's `inputSchema` itself, answering 400 -32020 before the
 * backend is asked. The backend is the repository's conformance reference backend, whose
 * `test_x_mcp_header` declares `region` as `Mcp-Param-Region` (and which checks it too: a request
 * the gateway let through wrongly would come back as that backend's failure, -32004, not as the
 * gateway's typed refusal).
 */
import type { Client } from "@modelcontextprotocol/client";
import { type ConformanceBackend, startConformanceBackend } from "@vmcp/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LoggedGateway, startLoggedGateway } from "./helpers/in-process.js";
import { resultText } from "./helpers/mcp-client.js";
import { connectModernClient, envelope, modernPost } from "./helpers/modern-client.js";

const Tool = "test_x_mcp_header";
const b64 = (text: string) => `=?base64?${Buffer.from(text, "utf8").toString("base64")}?=`;

describe("Mcp-Param-* headers of 2026-07-28 tool calls, checked at the gateway", () => {
  let backend: ConformanceBackend;
  let gateway: LoggedGateway;
  let client: Client;
  let id = 100;

  /** A raw `tools/call` of the header tool with `args` and the extra `headers`. */
  const call = (args: Record<string, unknown>, headers: Record<string, string | null> = {}) =>
    modernPost(
      gateway.url,
      {
        id: ++id,
        method: "tools/call",
        params: { name: Tool, arguments: args, _meta: envelope() },
      },
      headers,
    );

  beforeAll(async () => {
    backend = await startConformanceBackend();
    gateway = await startLoggedGateway({ backends: [{ workloadId: "conf", url: backend.url }] });
    client = await connectModernClient(gateway.url);
  });

  afterAll(async () => {
    await client?.close();
    await gateway?.close();
    await backend?.close();
  });

  it("an SDK v2 client mirroring the listed schema's headers is served, plain and Base64 values alike", async () => {
    const { tools } = await client.listTools();
    const listed = tools.find((t) => t.name === Tool);
    // The schema reaches the client as the backend wrote it, annotation included.
    expect(listed?.inputSchema.properties).toMatchObject({
      region: { type: "string", "x-mcp-header": "Region" },
    });
    const plain = await client.callTool({ name: Tool, arguments: { region: "us-west1" } });
    expect(resultText(plain)).toBe("region: us-west1");
    const encoded = await client.callTool({ name: Tool, arguments: { region: " Zürich ☃ " } });
    expect(resultText(encoded)).toBe("region:  Zürich ☃ ");
  });

  it("raw calls: a matching header (plain or Base64) passes, an undeclared one is forwarded untouched", async () => {
    const plain = await call({ region: "us-west1" }, { "mcp-param-region": "us-west1" });
    expect(plain.status).toBe(200);
    expect(plain.body).toMatchObject({ result: { content: [{ text: "region: us-west1" }] } });
    const encoded = await call({ region: "us-west1" }, { "mcp-param-region": b64("us-west1") });
    expect(encoded.body).toMatchObject({ result: { content: [{ text: "region: us-west1" }] } });
    const extra = await call(
      { region: "eu" },
      { "mcp-param-region": "eu", "mcp-param-tenant": "acme" },
    );
    expect(extra.body).toMatchObject({ result: { content: [{ text: "region: eu" }] } });
  });

  it("a missing, disagreeing, malformed or unexpected header is 400 -32020, and the backend is never asked", async () => {
    const refusals = [
      { args: { region: "us-west1" }, headers: {}, problem: "is absent" },
      {
        args: { region: "us-west1" },
        headers: { "mcp-param-region": "eu-west1" },
        problem: "does not match region",
      },
      {
        args: { region: "us-west1" },
        headers: { "mcp-param-region": b64("eu-west1") },
        problem: "does not match region",
      },
      {
        args: { region: "us-west1" },
        headers: { "mcp-param-region": "=?base64?%%%?=" },
        problem: "invalid Base64",
      },
      {
        args: {},
        headers: { "mcp-param-region": "us-west1" },
        problem: "carries no value for region",
      },
      {
        args: { region: null },
        headers: { "mcp-param-region": "us-west1" },
        problem: "carries no value for region",
      },
    ];
    for (const { args, headers, problem } of refusals) {
      const answer = await call(args, headers);
      expect(answer.status, JSON.stringify(headers)).toBe(400);
      expect(answer.headers.get("content-type")).toMatch(/^application\/json/);
      expect(answer.body).toMatchObject({
        jsonrpc: "2.0",
        id,
        error: {
          code: -32020,
          message: expect.stringContaining(problem),
          data: {
            mismatch: { header: "Mcp-Param-Region" },
            code: "VMCP_PARAM_HEADER_MISMATCH",
          },
        },
      });
    }
    // Nothing reached the backend: no relayed failure, no new era probe.
    expect(gateway.records().some((r) => String(r.msg).startsWith("backend failed"))).toBe(false);
    // A tool with no x-mcp-header takes any Mcp-Param-* header unchecked.
    const echo = await modernPost(
      gateway.url,
      {
        id: ++id,
        method: "tools/call",
        params: { name: "test_simple_text", arguments: {}, _meta: envelope() },
      },
      { "mcp-param-region": "anything" },
    );
    expect(echo.status).toBe(200);
    expect(echo.body).toMatchObject({ result: { resultType: "complete" } });
  });

  it("a request that fails an earlier rung is answered by that rung: an unknown tool, an unsupported revision", async () => {
    const unknown = await modernPost(
      gateway.url,
      {
        id: ++id,
        method: "tools/call",
        params: { name: "nope", arguments: {}, _meta: envelope() },
      },
      { "mcp-param-region": "us-west1" },
    );
    expect(unknown.status).toBe(200);
    expect(unknown.body).toMatchObject({
      error: { code: -32602, data: { code: "VMCP_UNKNOWN_TOOL" } },
    });
    const revision = await modernPost(
      gateway.url,
      {
        id: ++id,
        method: "tools/call",
        params: {
          name: Tool,
          arguments: { region: "x" },
          _meta: envelope({ "io.modelcontextprotocol/protocolVersion": "2099-01-01" }),
        },
      },
      { "mcp-protocol-version": "2099-01-01" },
    );
    expect(revision.status).toBe(400);
    expect(revision.body).toMatchObject({ error: { code: -32022 } });
  });
});
