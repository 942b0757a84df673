/**
 * The names session-core's telemetry is recorded under, public through `index.ts`. Kept apart
 * from `telemetry.ts` so the public declarations name no `@opentelemetry/api` type: a
 * TypeScript user without the optional API installed type-checks them too.
 */

/** The instrumentation scope of every span and instrument session-core makes. */
export const TelemetryScope = "@vmcp/session-core";

/**
 * Bucket boundaries, seconds, that the OpenTelemetry MCP semantic conventions give for
 * `mcp.*.operation.duration` and `mcp.*.session.duration`; used for every duration histogram here.
 */
export const McpDurationBucketsSeconds: readonly number[] = [
  0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300,
];

/** The name of every instrument session-core records (see the session-core README). */
export const SessionInstrumentNames = {
  clientOperationDuration: "mcp.client.operation.duration",
  serverSessionDuration: "mcp.server.session.duration",
  sessionsCreated: "vmcp.sessions.created",
  sessionsRestored: "vmcp.sessions.restored",
  sessionsEvicted: "vmcp.sessions.evicted",
  sessionsTerminated: "vmcp.sessions.terminated",
  sessionsLive: "vmcp.sessions.live",
  restoreDuration: "vmcp.session.restore.duration",
  storageDuration: "vmcp.storage.operation.duration",
  storageErrors: "vmcp.storage.errors",
  backendConnectFailures: "vmcp.backend.connect.failures",
  busPublished: "vmcp.bus.messages.published",
  busDelivered: "vmcp.bus.messages.delivered",
  busErrors: "vmcp.bus.errors",
} as const;

/** The low-cardinality target of a request (a tool or prompt name), if it has one. */
export function mcpTarget(
  method: string,
  params: Record<string, unknown> | undefined,
): { attribute: "gen_ai.tool.name" | "gen_ai.prompt.name"; name: string } | undefined {
  const name = params?.name;
  if (typeof name !== "string") return undefined;
  if (method === "tools/call") return { attribute: "gen_ai.tool.name", name };
  if (method === "prompts/get") return { attribute: "gen_ai.prompt.name", name };
  return undefined;
}
