import {
  MissingRequiredClientCapabilityError,
  ProtocolError,
  ProtocolErrorCode,
} from "@modelcontextprotocol/client";
import { BackendUnavailableError, type FetchFunction } from "@vmcp/session-core";
import type { ModernBackend } from "../backends/modern-backends.js";
import type { TaskRoutes } from "../tasks/task-routes.js";
import {
  createdTaskOf,
  declaresTasks,
  type TaskMethod,
  TasksExtensionId,
} from "../tasks/tasks-extension.js";
import type { RelayedRequest, RelayedResult } from "./backend-call.js";
import type { CallFailures } from "./call-failures.js";
import {
  callerCapabilities,
  type ModernRequest,
  stringParam,
  type TaskCalls,
} from "./modern-relay.js";
import { rawBackendCall } from "./raw-backend-call.js";
import { traceModernBackendCall } from "./traced-backend-call.js";

type Params = Readonly<Record<string, unknown>>;

/** Options of {@link TaskRelay}. */
export interface TaskRelayOptions {
  /** Where task routes are kept (the configured store). */
  readonly routes: TaskRoutes;
  /** How a failed backend call is answered (shared with the relay). */
  readonly failures: CallFailures;
  /** Bound on one backend call, ms (reset by its progress). */
  readonly callTimeoutMs: number;
  /** The fetch of every backend transport; default the global one. */
  readonly fetch?: FetchFunction;
}

/**
 * The tasks extension (`io.modelcontextprotocol/tasks`, SEP-2663) between 2026-07-28 clients and
 * modern backends that declare it:
 * - a `tools/call` that may be answered with a task is sent raw (`rawBackendCall`: the SDK client
 *   refuses `resultType: "task"`), and a task it makes is routed in the store for the caller
 *   ({@link TaskRoutes}) before the answer leaves;
 * - `tasks/get`, `tasks/update` and `tasks/cancel` (from a caller that declares the extension,
 *   else -32021) go, raw, to the backend the task's route names, whichever replica made it; a
 *   task with no route, or another caller's, is -32602 unknown task.
 */
export class TaskRelay implements TaskCalls {
  readonly #o: TaskRelayOptions;

  constructor(options: TaskRelayOptions) {
    this.#o = options;
  }

  mayMakeTask(backend: ModernBackend, request: ModernRequest): boolean {
    return (
      declaresTasks(backend.discover.capabilities) && declaresTasks(callerCapabilities(request))
    );
  }

  callTool(
    backend: ModernBackend,
    params: Params,
    request: RelayedRequest,
  ): Promise<RelayedResult> {
    return traceModernBackendCall(rawBackendCall, backend, "tools/call", params, request);
  }

  async made(
    backend: ModernBackend,
    result: RelayedResult,
    request: ModernRequest,
  ): Promise<RelayedResult> {
    const task = createdTaskOf(result);
    if (task === undefined) {
      throw new ProtocolError(
        ProtocolErrorCode.InternalError,
        `backend ${JSON.stringify(backend.workloadId)} answered with a task that names no taskId`,
      );
    }
    await this.#o.routes.record(task.taskId, backend.workloadId, request.owner, task.ttlMs);
    return result;
  }

  /**
   * `tasks/get`, `tasks/update` or `tasks/cancel`, relayed to the backend holding the task.
   * @throws {MissingRequiredClientCapabilityError} when the caller did not declare the extension.
   * @throws {UnknownTaskError} for a task with no route for this caller.
   * @throws {BackendUnavailableError} when its backend is not served to 2026-07-28 clients now,
   *   or failed for transport or era.
   */
  async forward(
    method: TaskMethod,
    params: Params,
    request: ModernRequest,
  ): Promise<RelayedResult> {
    if (!declaresTasks(callerCapabilities(request))) {
      throw new MissingRequiredClientCapabilityError({
        requiredCapabilities: { extensions: { [TasksExtensionId]: {} } },
      });
    }
    const taskId = stringParam(params, "taskId");
    const workloadId = await this.#o.routes.find(taskId, request.owner);
    const backend = request.set.backends.find((b) => b.workloadId === workloadId);
    if (backend === undefined) {
      throw new BackendUnavailableError(workloadId, "not served to 2026-07-28 clients now");
    }
    const { _meta: _, ...rest } = params;
    // The SDK lifts `inputResponses` out of the params (as for a multi-round-trip retry).
    const forwarded =
      method === "tasks/update" && request.inputResponses !== undefined
        ? { ...rest, inputResponses: request.inputResponses }
        : rest;
    try {
      return await traceModernBackendCall(rawBackendCall, backend, method, forwarded, {
        meta: request.meta,
        signal: request.signal,
        notify: request.notify,
        timeoutMs: this.#o.callTimeoutMs,
        ...(this.#o.fetch === undefined ? {} : { fetch: this.#o.fetch }),
      });
    } catch (error) {
      throw this.#o.failures.of(backend, error, request.signal);
    }
  }
}
