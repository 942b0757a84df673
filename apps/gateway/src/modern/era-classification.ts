import type { IncomingHttpHeaders } from "node:http";
import { classifyInboundRequest } from "@modelcontextprotocol/server";

/**
 * Which path serves a POST to `/mcp`, by SDK v2's own rule (`classifyInboundRequest`, the code
 * `createMcpHandler` routes with): `legacy` for 2025-era traffic (no `_meta` protocol-version
 * claim: `initialize`, session requests, notifications, batches, posted responses), which the
 * session path serves unchanged; `modern` for everything else, including the ladder's rejections
 * (a malformed envelope, a header that disagrees with the body, an unknown revision), which the
 * SDK's modern handler answers itself with the spec's codes.
 */
export function postEra(headers: IncomingHttpHeaders, body: unknown): "legacy" | "modern" {
  const outcome = classifyInboundRequest({
    httpMethod: "POST",
    ...header("protocolVersionHeader", headers["mcp-protocol-version"]),
    ...header("mcpMethodHeader", headers["mcp-method"]),
    ...header("mcpNameHeader", headers["mcp-name"]),
    body,
  });
  return outcome.kind === "legacy" ? "legacy" : "modern";
}

function header<K extends string>(
  key: K,
  value: string | string[] | undefined,
): Partial<Record<K, string>> {
  if (value === undefined) return {};
  return { [key]: Array.isArray(value) ? value.join(", ") : value } as Partial<Record<K, string>>;
}
