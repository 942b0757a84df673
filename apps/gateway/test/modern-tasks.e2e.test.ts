import type { Client } from "@modelcontextprotocol/client";
import { type RedisServer, startRedisServer } from "@vmcp/redis-harness";
import { MetadataKeyRecordKind, taskRouteKey } from "@vmcp/session-keys";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TaskRouteKeys } from "../dist/http/mcp-2026-07-28/tasks/task-route-record.js";
import { type LoggedGateway, startLoggedGateway } from "./helpers/in-process.js";
import { resultText } from "./helpers/mcp-client.js";
import {
  connectModernClient,
  envelope,
  modernPost,
  type RawAnswer,
} from "./helpers/modern-client.js";
import {
  FixtureTaskTtlMs,
  startTasksBackend,
  type TasksBackendFixture,
  TasksExtension,
} from "./helpers/tasks-backend.js";

const BindingSecret = "modern-tasks-binding-secret-0123456789";
const Tokens = {
  alice: "tok-alice",
  bob: "tok-bob",
} as const;
type Caller = keyof typeof Tokens;

type Result = Record<string, unknown>;

/** Client capabilities that declare the tasks extension (and form elicitation). */
const WithTasks = { extensions: { [TasksExtension]: {} }, elicitation: { form: {} } };

describe("the tasks extension across two replicas sharing Redis", () => {
  let redis: RedisServer;
  let jobs: TasksBackendFixture;
  let a: LoggedGateway;
  let b: LoggedGateway;
  const clients: Client[] = [];
  let nextId = 1;

  beforeAll(async () => {
    [redis, jobs] = await Promise.all([startRedisServer(), startTasksBackend("jobs")]);
    const config = {
      bindingSecret: BindingSecret,
      store: { kind: "redis", url: redis.url },
      identity: {
        kind: "static",
        tokens: {
          [Tokens.alice]: { issuer: "static", subject: "alice" },
          [Tokens.bob]: { issuer: "static", subject: "bob" },
        },
      },
      backends: [{ workloadId: "jobs", url: jobs.url }],
    };
    [a, b] = await Promise.all([startLoggedGateway(config), startLoggedGateway(config)]);
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all([a?.close(), b?.close()]);
    await jobs?.close();
    await redis?.close();
  });

  /** A raw 2026-07-28 POST of `method` by `caller` through `gateway`, declaring `capabilities`. */
  const post = (
    gateway: LoggedGateway,
    caller: Caller,
    method: string,
    params: Result,
    capabilities: Result = WithTasks,
  ): Promise<RawAnswer> =>
    modernPost(
      gateway.url,
      {
        id: nextId++,
        method,
        params: {
          ...params,
          _meta: envelope({ "io.modelcontextprotocol/clientCapabilities": capabilities }),
        },
      },
      { authorization: `Bearer ${Tokens[caller]}` },
    );
  const resultOf = (answer: RawAnswer): Result => {
    expect(answer.status, answer.text).toBe(200);
    const body = answer.body as { result?: Result; error?: unknown };
    expect(body.error).toBeUndefined();
    return body.result as Result;
  };
  const makeTask = async (via: LoggedGateway, who: string): Promise<string> => {
    const made = resultOf(
      await post(via, "alice", "tools/call", { name: "jobs_job", arguments: { who } }),
    );
    expect(made).toMatchObject({ resultType: "task", status: "input_required" });
    return made.taskId as string;
  };

  it("server/discover declares the tasks extension its backend declares", async () => {
    const client = await connectModernClient(a.url, { token: Tokens.alice });
    clients.push(client);
    expect(client.getDiscoverResult()?.capabilities).toEqual({
      tools: {},
      logging: {},
      extensions: { [TasksExtension]: {} },
    });
  });

  it("a task made through replica A is routed in Redis for its owner; replica B polls and completes it, each request naming the task in Mcp-Name", async () => {
    const before = Date.now();
    const made = resultOf(
      await post(a, "alice", "tools/call", { name: "jobs_job", arguments: { who: "ann" } }),
    );
    const after = Date.now();
    // The flat CreateTaskResult of SEP-2663, as the backend gave it.
    expect(made).toMatchObject({
      resultType: "task",
      status: "input_required",
      ttlMs: FixtureTaskTtlMs,
      _meta: { "io.modelcontextprotocol/serverInfo": { name: "vmcp-gateway" } },
    });
    expect(made.task).toBeUndefined();
    const taskId = made.taskId as string;
    expect(jobs.tasks.get(taskId)?.who).toBe("ann");

    // The route: a record of its own in Redis, bound to alice, living as long as the task.
    const record = await b.gateway.storage.load(new TaskRouteKeys(BindingSecret).recordId(taskId));
    expect(record?.id).toMatch(/^vmcp\.task-route\./);
    expect(record?.metadata).toMatchObject({
      [MetadataKeyRecordKind]: "task-route",
      [taskRouteKey(taskId)]: "jobs",
      "vmcp.identity.issuer": "static",
      "vmcp.identity.subject": "alice",
    });
    expect(record?.expiresAt).toBeGreaterThanOrEqual(before + FixtureTaskTtlMs);
    expect(record?.expiresAt).toBeLessThanOrEqual(after + FixtureTaskTtlMs);

    const from = jobs.received.length;
    const waiting = resultOf(await post(b, "alice", "tasks/get", { taskId }));
    expect(waiting).toMatchObject({
      resultType: "complete",
      taskId,
      status: "input_required",
      inputRequests: { confirm: { method: "elicitation/create" } },
    });
    const ack = resultOf(
      await post(b, "alice", "tasks/update", {
        taskId,
        inputResponses: { confirm: { action: "accept", content: { answer: "yes" } } },
      }),
    );
    expect(ack).toEqual({
      resultType: "complete",
      _meta: { "io.modelcontextprotocol/serverInfo": expect.objectContaining({}) },
    });
    const done = resultOf(await post(a, "alice", "tasks/get", { taskId }));
    expect(done).toMatchObject({ status: "completed", taskId });
    expect(resultText(done.result as object)).toBe("ann confirmed yes");
    expect(jobs.received.slice(from)).toEqual([
      { method: "tasks/get", name: taskId },
      { method: "tasks/update", name: taskId },
      { method: "tasks/get", name: taskId },
    ]);
  });

  it("a task made through replica A is cancelled through replica B", async () => {
    const taskId = await makeTask(a, "cid");
    expect(resultOf(await post(b, "alice", "tasks/cancel", { taskId }))).toMatchObject({
      resultType: "complete",
    });
    expect(resultOf(await post(b, "alice", "tasks/get", { taskId }))).toMatchObject({
      status: "cancelled",
    });
    expect(jobs.tasks.get(taskId)?.status).toBe("cancelled");
  });

  it("to another identity a task is unknown (-32602), exactly as an ID that never existed; its backend hears nothing", async () => {
    const taskId = await makeTask(a, "eve's target");
    const from = jobs.received.length;
    const refusals: unknown[] = [];
    for (const via of [a, b]) {
      for (const [method, extra] of [
        ["tasks/get", {}],
        ["tasks/update", { inputResponses: { confirm: { action: "accept", content: {} } } }],
        ["tasks/cancel", {}],
      ] as const) {
        for (const id of [taskId, "no-such-task"]) {
          const answer = await post(via, "bob", method, { taskId: id, ...extra });
          expect(answer.status).toBe(200);
          const error = (answer.body as { error?: { message: string } }).error;
          refusals.push({ ...error, message: error?.message.replace(id, "<id>") });
        }
      }
    }
    // Twelve refusals, all alike: nothing tells bob that alice's task exists.
    expect(new Set(refusals.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(refusals[0]).toEqual({
      code: -32602,
      message: 'unknown task "<id>"',
      data: { code: "VMCP_UNKNOWN_TASK" },
    });
    expect(jobs.received.length).toBe(from);
    expect(jobs.tasks.get(taskId)?.status).toBe("input_required");
  });

  it("a call that may make a task (relayed raw) still carries progress under the caller's token, and logs only to a caller that set a level", async () => {
    const call = (meta: Result) =>
      modernPost(
        a.url,
        {
          id: nextId++,
          method: "tools/call",
          params: {
            name: "jobs_steps",
            arguments: { count: 2 },
            _meta: envelope({ "io.modelcontextprotocol/clientCapabilities": WithTasks, ...meta }),
          },
        },
        { authorization: `Bearer ${Tokens.alice}` },
      );
    const frames = (
      await call({ progressToken: "p-9", "io.modelcontextprotocol/logLevel": "info" })
    ).body as Result[];
    expect(
      frames.filter((f) => f.method === "notifications/progress").map((f) => f.params),
    ).toEqual([
      { progressToken: "p-9", progress: 1, total: 2 },
      { progressToken: "p-9", progress: 2, total: 2 },
    ]);
    expect(
      frames
        .filter((f) => f.method === "notifications/message")
        .map((f) => (f.params as Result).data),
    ).toEqual(["log 1", "log 2"]);
    expect(resultText((frames.at(-1) as { result: object }).result)).toBe("2 steps done");

    const quiet = await call({ progressToken: "p-10" });
    const quietFrames = quiet.body as Result[];
    expect(quietFrames.some((f) => f.method === "notifications/message")).toBe(false);
    expect(quietFrames.filter((f) => f.method === "notifications/progress")).toHaveLength(2);
  });

  it("a caller that does not declare the extension gets -32021 for the task methods, and its call answered at once", async () => {
    const taskId = await makeTask(a, "dee");
    const refused = await post(b, "alice", "tasks/get", { taskId }, { elicitation: {} });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({
      error: {
        code: -32021,
        data: { requiredCapabilities: { extensions: { [TasksExtension]: {} } } },
      },
    });
    // The SDK v2 client declares no extension: the backend answers it without a task.
    const client = await connectModernClient(b.url, { token: Tokens.alice });
    clients.push(client);
    const result = await client.request({
      method: "tools/call",
      params: { name: "jobs_job", arguments: { who: "dee" } },
    });
    expect(resultText(result)).toBe("dee done at once");
  });

  it("a method the gateway does not serve is still the SDK's 404 -32601 (the fallback handler is only for tools/call and tasks/update)", async () => {
    const answer = await post(b, "alice", "vendor/custom", {});
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ error: { code: -32601 } });
  });

  it("a backend's input_required asking for what the caller did not declare is 400 -32021 from the gateway itself", async () => {
    const noRoots = await post(a, "alice", "tools/call", { name: "jobs_roots", arguments: {} });
    expect(noRoots.status).toBe(400);
    expect(noRoots.body).toMatchObject({
      error: { code: -32021, data: { requiredCapabilities: { roots: {} } } },
    });
    const withRoots = resultOf(
      await post(a, "alice", "tools/call", { name: "jobs_roots", arguments: {} }, { roots: {} }),
    );
    expect(withRoots).toMatchObject({
      resultType: "input_required",
      inputRequests: { where: { method: "roots/list" } },
      requestState: expect.any(String),
    });
  });
});
