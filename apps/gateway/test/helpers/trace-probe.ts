import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";

/** The trace context a client sends in the telemetry tests: its trace and span IDs. */
export const ClientTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
export const ClientSpanId = "00f067aa0ba902b7";
/** {@link ClientTraceId} and {@link ClientSpanId} as a W3C `traceparent` (sampled). */
export const ClientTraceparent = `00-${ClientTraceId}-${ClientSpanId}-01`;

/** What a trace probe backend saw of one `probe` call. */
export interface Seen {
  readonly meta: Record<string, unknown> | undefined;
  readonly traceparentHeader: string | undefined;
}

/**
 * A 2025-era SDK v1 server (`name`) whose `probe` tool records the trace context it received, in
 * `params._meta` and in the HTTP `traceparent` header, into `seen`; its `broken` tool reports a
 * tool error.
 */
export function traceProbeServer(name: string, seen: Seen[]): McpServer {
  const server = new McpServer({ name, version: "1.0.0" });
  server.registerTool("probe", { description: "records the trace context it got" }, (extra) => {
    const header = extra.requestInfo?.headers.traceparent;
    seen.push({
      meta: extra._meta as Record<string, unknown> | undefined,
      traceparentHeader: typeof header === "string" ? header : undefined,
    });
    return { content: [{ type: "text", text: "seen" }] };
  });
  server.registerTool("broken", { description: "reports a tool error" }, () => ({
    isError: true,
    content: [{ type: "text", text: "broken on purpose" }],
  }));
  return server;
}

/** The trace and parent span IDs of a W3C `traceparent`; throws for anything else. */
export function parseTraceparent(value: unknown): { traceId: string; spanId: string } {
  const match =
    typeof value === "string" ? /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(value) : null;
  if (match === null) throw new Error(`not a traceparent: ${String(value)}`);
  return { traceId: match[1] as string, spanId: match[2] as string };
}
