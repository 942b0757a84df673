import { MetadataKeyRecordKind } from "./keys.js";

/**
 * The values of `vmcp.kind` (`MetadataKeyRecordKind`): what a stored record that is not a client
 * session holds. A record without the key is a client session.
 */
export const RecordKind = {
  /**
   * A used 2026-07-28 `requestState`: the gateway's single-use marker for one MRTR round, kept
   * until the state expires. Its metadata holds only `vmcp.kind`; it is never a session.
   */
  RequestState: "request-state",
  /**
   * A backend's protocol era verdict (`vmcp.backend.era`), shared by the gateway's replicas until
   * it expires. Never a session.
   */
  BackendEra: "backend-era",
  /**
   * Where a task of the MCP tasks extension (`io.modelcontextprotocol/tasks`) lives, for a
   * 2026-07-28 client of the gateway: the backend that made it (`vmcp.task.<taskId>`, see
   * `taskRouteKey`) and the identity it is bound to (`vmcp.identity.*`), so any replica routes
   * `tasks/get`, `tasks/update` and `tasks/cancel`. Kept until the task's TTL; never a session.
   */
  TaskRoute: "task-route",
  /**
   * A 2025-era backend call parked on one gateway replica for its 2026-07-28 client's input: the
   * pooled backend session, the backend and the backend's JSON-RPC request ID, so another replica
   * can cancel that request (`notifications/cancelled`) should the holder die. Kept until the
   * park timeout; never a session.
   */
  ParkedCall: "parked-call",
} as const;

/** One of the values of {@link RecordKind}. */
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

const kinds: ReadonlySet<string> = new Set(Object.values(RecordKind));

/**
 * The kind of a stored record from its metadata: one of {@link RecordKind}, `"session"` when
 * `vmcp.kind` is absent (a client session), or `"unknown"` for a value this version does not know
 * (a newer writer's), so a reader never mistakes it for a session.
 */
export function recordKindOf(
  metadata: Readonly<Record<string, string>>,
): RecordKind | "session" | "unknown" {
  const kind = metadata[MetadataKeyRecordKind];
  if (kind === undefined) return "session";
  return kinds.has(kind) ? (kind as RecordKind) : "unknown";
}
