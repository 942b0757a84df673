/** The identifier of the MCP tasks extension (SEP-2663), under `capabilities.extensions`. */
export const TasksExtensionId = "io.modelcontextprotocol/tasks";

/** The methods of the tasks extension a client sends about one task (each names it in `params.taskId`). */
export type TaskMethod = "tasks/get" | "tasks/update" | "tasks/cancel";

/**
 * Whether `capabilities` (a server's `server/discover` capabilities, or the client capabilities
 * of a request's `_meta` envelope) declare the tasks extension: `extensions[TasksExtensionId]`
 * is an object (`{}` says yes; the extension defines no settings).
 */
export function declaresTasks(capabilities: unknown): boolean {
  if (typeof capabilities !== "object" || capabilities === null) return false;
  const extensions = (capabilities as { extensions?: unknown }).extensions;
  if (typeof extensions !== "object" || extensions === null) return false;
  const entry = (extensions as Record<string, unknown>)[TasksExtensionId];
  return typeof entry === "object" && entry !== null && !Array.isArray(entry);
}

/** What a `tools/call` answer with `resultType: "task"` says of the task the gateway must route. */
export interface CreatedTask {
  readonly taskId: string;
  /** The task's time to live from its creation, ms; `undefined` when unlimited or not given. */
  readonly ttlMs?: number;
}

/**
 * The task a `CreateTaskResult` names: flat (`Result & Task`, as SEP-2663 and the conformance
 * referee define it: `taskId`, `ttlMs` at the top level) or, from a backend on the older SDK
 * schema, nested under `task`. `undefined` when it names no task ID.
 */
export function createdTaskOf(result: Readonly<Record<string, unknown>>): CreatedTask | undefined {
  const nested = result.task;
  const task =
    typeof result.taskId === "string"
      ? result
      : typeof nested === "object" && nested !== null
        ? (nested as Record<string, unknown>)
        : undefined;
  const taskId = task?.taskId;
  if (typeof taskId !== "string" || taskId === "") return undefined;
  const ttlMs = task?.ttlMs;
  return typeof ttlMs === "number" && Number.isSafeInteger(ttlMs) && ttlMs > 0
    ? { taskId, ttlMs }
    : { taskId };
}
