import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { toNodeHandler } from "@modelcontextprotocol/node";
import {
  CLIENT_CAPABILITIES_META_KEY,
  createMcpHandler,
  inputRequired,
  ProtocolError,
  ProtocolErrorCode,
  Server,
  type ServerContext,
} from "@modelcontextprotocol/server";
import { z } from "zod";

/** The tasks extension's identifier. */
export const TasksExtension = "io.modelcontextprotocol/tasks";

/** One POST the fixture received: its `Mcp-Method` and `Mcp-Name` headers, and the caller it named. */
export interface ReceivedPost {
  readonly method: string;
  readonly name?: string;
}

/** A task as the fixture keeps it. */
export interface FixtureTask {
  readonly taskId: string;
  status: "working" | "input_required" | "completed" | "cancelled" | "failed";
  readonly createdAt: string;
  lastUpdatedAt: string;
  /** The `who` argument of the call that made it. */
  readonly who: string;
  /** The answer `tasks/update` gave, once it did. */
  answer?: unknown;
}

/** A modern-only SDK v2 backend that makes tasks (tasks extension), written for the gateway's tests. */
export interface TasksBackendFixture {
  readonly workloadId: string;
  /** `http://127.0.0.1:<port>/mcp`. */
  readonly url: string;
  /** Every POST but `server/discover`, in order. */
  readonly received: ReceivedPost[];
  /** Every task it made, by ID. */
  readonly tasks: Map<string, FixtureTask>;
  close(): Promise<void>;
}

/** The `ttlMs` of every task the fixture makes: 60,000 ms. */
export const FixtureTaskTtlMs = 60_000;

/**
 * Starts a modern-only SDK v2 backend (`createMcpHandler(..., { legacy: "reject" })`) named
 * `workloadId` that declares the tasks extension. SDK 2.4.0 ships no tasks runtime, so the
 * fixture is its own: `tools/call` and `tasks/update` in the SDK's fallback handler (the
 * registered `tools/call` wrapper refuses a task result), `tasks/get` and `tasks/cancel`
 * registered with a params schema. Tools:
 * - `<id>_job` (`who`): for a caller that declares the extension, a task (flat `CreateTaskResult`,
 *   SEP-2663) that waits in `input_required` for a `confirm` answer; `tasks/update` with it
 *   completes the task with `<who> confirmed <answer>`; `tasks/cancel` cancels a task not done
 *   yet. Without the extension the call answers at once (`<who> done at once`);
 * - `<id>_roots`: always answers `input_required` asking for `roots/list`, whatever the caller
 *   declared (the fallback has no capability check: the gateway's own must catch it);
 * - `<id>_steps` (`count`): `count` progress notifications (under the request's token) and log
 *   messages, then `<count> steps done`, never a task.
 * An unknown task ID is -32602.
 */
export async function startTasksBackend(workloadId: string): Promise<TasksBackendFixture> {
  const received: ReceivedPost[] = [];
  const tasks = new Map<string, FixtureTask>();
  const now = () => new Date().toISOString();
  const view = (task: FixtureTask) => ({
    taskId: task.taskId,
    status: task.status,
    createdAt: task.createdAt,
    lastUpdatedAt: task.lastUpdatedAt,
    ttlMs: FixtureTaskTtlMs,
    pollIntervalMs: 100,
  });
  const known = (taskId: string) => {
    const task = tasks.get(taskId);
    if (task === undefined) {
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, `unknown task ${taskId}`);
    }
    return task;
  };

  const callTool = (params: Record<string, unknown>, ctx: ServerContext) => {
    const args = (params.arguments ?? {}) as Record<string, unknown>;
    if (params.name === `${workloadId}_steps`) return steps(ctx, Number(args.count ?? 2));
    if (params.name === `${workloadId}_roots`) {
      return inputRequired({ inputRequests: { where: inputRequired.listRoots() } });
    }
    if (params.name !== `${workloadId}_job`) {
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, `no tool ${String(params.name)}`);
    }
    const who = String(args.who);
    const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
    const declared = envelope?.[CLIENT_CAPABILITIES_META_KEY] as
      | { extensions?: Record<string, unknown> }
      | undefined;
    if (declared?.extensions?.[TasksExtension] === undefined) {
      return { content: [{ type: "text" as const, text: `${who} done at once` }] };
    }
    const at = now();
    const task: FixtureTask = {
      taskId: randomUUID(),
      status: "input_required",
      createdAt: at,
      lastUpdatedAt: at,
      who,
    };
    tasks.set(task.taskId, task);
    return { resultType: "task", ...view(task) };
  };

  const factory = () => {
    const server = new Server(
      { name: `tasks-${workloadId}`, version: "1.0.0" },
      { capabilities: { tools: {}, logging: {}, extensions: { [TasksExtension]: {} } } },
    );
    server.setRequestHandler("tools/list", () => ({
      tools: [
        {
          name: `${workloadId}_job`,
          description: "makes a task",
          inputSchema: { type: "object" as const, properties: { who: { type: "string" } } },
        },
        {
          name: `${workloadId}_roots`,
          description: "asks for roots",
          inputSchema: { type: "object" as const },
        },
        {
          name: `${workloadId}_steps`,
          description: "progress and logs",
          inputSchema: { type: "object" as const, properties: { count: { type: "integer" } } },
        },
      ],
    }));
    const taskParams = { params: z.looseObject({ taskId: z.string() }) };
    server.setRequestHandler("tasks/get", taskParams, ({ taskId }) => {
      const task = known(taskId);
      if (task.status === "input_required") {
        return {
          ...view(task),
          inputRequests: {
            confirm: inputRequired.elicit({
              message: `Confirm the job of ${task.who}?`,
              requestedSchema: {
                type: "object",
                properties: { answer: { type: "string" } },
                required: ["answer"],
              },
            }),
          },
        };
      }
      if (task.status === "completed") {
        const text = `${task.who} confirmed ${String(task.answer)}`;
        return { ...view(task), result: { content: [{ type: "text", text }] } };
      }
      return view(task);
    });
    server.setRequestHandler("tasks/cancel", taskParams, ({ taskId }) => {
      const task = known(taskId);
      if (task.status === "working" || task.status === "input_required") {
        task.status = "cancelled";
        task.lastUpdatedAt = now();
      }
      return {};
    });
    server.fallbackRequestHandler = async (request, ctx) => {
      const params = (request.params ?? {}) as Record<string, unknown>;
      if (request.method === "tools/call") return callTool(params, ctx) as never;
      if (request.method === "tasks/update") {
        const task = known(String(params.taskId));
        // The SDK lifts `inputResponses` out of the params, as for a multi-round-trip retry.
        const confirm = ctx.mcpReq.inputResponses?.confirm as
          | { action?: string; content?: { answer?: unknown } }
          | undefined;
        if (task.status === "input_required" && confirm?.action === "accept") {
          task.answer = confirm.content?.answer;
          task.status = "completed";
          task.lastUpdatedAt = now();
        }
        return {};
      }
      throw new ProtocolError(ProtocolErrorCode.MethodNotFound, "Method not found");
    };
    return server;
  };

  const handler = createMcpHandler(factory, { legacy: "reject" });
  const node = toNodeHandler(handler);
  const httpServer = createServer((req: IncomingMessage, res: ServerResponse) => {
    const method = req.headers["mcp-method"];
    const name = req.headers["mcp-name"];
    if (req.method === "POST" && method !== "server/discover") {
      received.push({
        method: typeof method === "string" ? method : "(none)",
        ...(typeof name === "string" ? { name } : {}),
      });
    }
    void node(req as Parameters<typeof node>[0], res);
  });
  await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
  const { port } = httpServer.address() as AddressInfo;
  return {
    workloadId,
    url: `http://127.0.0.1:${port}/mcp`,
    received,
    tasks,
    close: async () => {
      await handler.close();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}

async function steps(ctx: ServerContext, count: number) {
  const token = ctx.mcpReq._meta?.progressToken;
  for (let i = 1; i <= count; i++) {
    if (token !== undefined) {
      await ctx.mcpReq.notify({
        method: "notifications/progress",
        params: { progressToken: token, progress: i, total: count },
      });
    }
    await ctx.mcpReq.notify({
      method: "notifications/message",
      params: { level: "info", data: `log ${i}` },
    });
  }
  return { content: [{ type: "text" as const, text: `${count} steps done` }] };
}
