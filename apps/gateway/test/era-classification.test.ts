import { describe, expect, it } from "vitest";
import { postEra } from "../dist/http/mcp-2026-07-28/era-classification.js";

const claim = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": {},
};

describe("which path serves a POST (SDK v2's classification, the 2025 path kept whole)", () => {
  it.each([
    ["initialize", {}, { jsonrpc: "2.0", id: 1, method: "initialize", params: {} }],
    [
      "a 2025 session request",
      { "mcp-protocol-version": "2025-11-25" },
      { jsonrpc: "2.0", id: 1, method: "tools/list" },
    ],
    ["a notification", {}, { jsonrpc: "2.0", method: "notifications/initialized" }],
    ["a batch", {}, [{ jsonrpc: "2.0", id: 1, method: "tools/list" }]],
    ["a posted response", {}, { jsonrpc: "2.0", id: 1, result: {} }],
    [
      "2025 params that are an array",
      { "mcp-protocol-version": "2025-11-25" },
      { jsonrpc: "2.0", id: 1, method: "tools/list", params: [1] },
    ],
    [
      "2025 params that are a string",
      {},
      { jsonrpc: "2.0", id: 1, method: "tools/call", params: "add" },
    ],
  ])("%s is legacy", (_label, headers, body) => {
    expect(postEra(headers, body)).toBe("legacy");
  });

  it.each([
    [
      "a request with the envelope",
      { "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/list" },
      { jsonrpc: "2.0", id: 1, method: "tools/list", params: { _meta: claim } },
    ],
    [
      "a header that disagrees with the claim",
      { "mcp-protocol-version": "2025-11-25" },
      { jsonrpc: "2.0", id: 1, method: "tools/list", params: { _meta: claim } },
    ],
    [
      "a modern header without the envelope",
      { "mcp-protocol-version": "2026-07-28" },
      { jsonrpc: "2.0", id: 1, method: "tools/list" },
    ],
    [
      "initialize under a modern header",
      { "mcp-protocol-version": "2026-07-28" },
      { jsonrpc: "2.0", id: 1, method: "initialize", params: {} },
    ],
    [
      "a claim naming an unknown revision",
      { "mcp-protocol-version": "2099-01-01" },
      {
        jsonrpc: "2.0",
        id: 1,
        method: "tools/list",
        params: { _meta: { ...claim, "io.modelcontextprotocol/protocolVersion": "2099-01-01" } },
      },
    ],
    [
      "a batch holding a claim",
      {},
      [{ jsonrpc: "2.0", id: 1, method: "tools/list", params: { _meta: claim } }],
    ],
    [
      "a malformed body under a modern header",
      { "mcp-protocol-version": "2026-07-28" },
      { jsonrpc: "2.0", id: 1, method: "tools/list", params: [1] },
    ],
  ])("%s goes to the modern handler (which answers or refuses it)", (_label, headers, body) => {
    expect(postEra(headers, body)).toBe("modern");
  });
});
