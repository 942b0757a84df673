import { VmcpSessionError } from "@vmcp/session-keys";
import { ErrorCode } from "../../../error-codes.js";

/**
 * A backend answered a `tools/call` with a task whose ID already routes to another backend or
 * another owner: the gateway cannot route it unambiguously, so the call fails (-32603, a `warn`
 * line) rather than hand out a task ID whose `tasks/get` would reach someone else's task. The
 * backend's task is left to expire.
 */
export class TaskIdConflictError extends VmcpSessionError {
  readonly code = ErrorCode.TaskIdConflict;
  /** The task ID the backend chose. */
  readonly taskId: string;
  /** The backend that chose it. */
  readonly workloadId: string;

  constructor(taskId: string, workloadId: string) {
    super(`backend ${JSON.stringify(workloadId)} made a task whose ID is already routed elsewhere`);
    this.taskId = taskId;
    this.workloadId = workloadId;
  }
}
