import type { IncomingHttpHeaders } from "node:http";
import {
  classifyInboundRequest,
  PROTOCOL_VERSION_META_KEY,
  SUPPORTED_PROTOCOL_VERSIONS,
} from "@modelcontextprotocol/server";

/** The 2025-era revisions (the SDK's list of versions negotiated by `initialize`). */
const LegacyVersions: ReadonlySet<string> = new Set(SUPPORTED_PROTOCOL_VERSIONS);

/**
 * Which path serves a POST to `/mcp`, by SDK v2's own rule (`classifyInboundRequest`, the code
 * `createMcpHandler` routes with): `legacy` for 2025-era traffic (no `_meta` protocol-version
 * claim: `initialize`, session requests, notifications, batches, posted responses), which the
 * session path serves unchanged; `modern` for everything else, including the ladder's rejections
 * (a malformed envelope, a header that disagrees with the body, an unknown revision), which the
 * SDK's modern handler answers itself with the spec's codes.
 *
 * One exception keeps the 2025 path whole: a rejection of a body that is no valid JSON-RPC
 * message (`params` an array, say) stays `legacy` when nothing in the request speaks for
 * 2026-07-28 (no envelope claim in the body, no `MCP-Protocol-Version` header beyond the 2025-era
 * revisions): the session path answers it as it always has.
 */
export function postEra(headers: IncomingHttpHeaders, body: unknown): "legacy" | "modern" {
  const version = single(headers["mcp-protocol-version"]);
  const outcome = classifyInboundRequest({
    httpMethod: "POST",
    ...(version === undefined ? {} : { protocolVersionHeader: version }),
    ...optional("mcpMethodHeader", single(headers["mcp-method"])),
    ...optional("mcpNameHeader", single(headers["mcp-name"])),
    body,
  });
  if (outcome.kind === "legacy") return "legacy";
  if (outcome.kind === "modern") return "modern";
  const modernHeader = version !== undefined && !LegacyVersions.has(version.trim());
  return modernHeader || claims(body) ? "modern" : "legacy";
}

/** Whether a body (or an entry of a batch) carries the 2026-07-28 envelope's version key. */
function claims(body: unknown): boolean {
  const messages = Array.isArray(body) ? body : [body];
  return messages.some((m) => {
    const params = (m as { params?: unknown } | null)?.params;
    const meta = (params as { _meta?: unknown } | null | undefined)?._meta;
    return typeof meta === "object" && meta !== null && PROTOCOL_VERSION_META_KEY in meta;
  });
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(", ") : value;
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Partial<Record<K, string>>);
}
