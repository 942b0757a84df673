import { MissingRequiredClientCapabilityError } from "@modelcontextprotocol/server";
import { MetadataKeyRecordKind, RecordKind, taskRouteKey } from "@vmcp/session-keys";
import { MemoryStorage } from "@vmcp/store-memory";
import { describe, expect, it } from "vitest";
import { assertInputRequestsCovered } from "../dist/http/mcp-2026-07-28/relay/input-coverage.js";
import { TaskRouteKeys } from "../dist/http/mcp-2026-07-28/tasks/task-route-record.js";
import { TaskRoutes } from "../dist/http/mcp-2026-07-28/tasks/task-routes.js";
import {
  createdTaskOf,
  declaresTasks,
  TasksExtensionId,
} from "../dist/http/mcp-2026-07-28/tasks/tasks-extension.js";

const alice = { issuer: "static", subject: "alice" };
const bob = { issuer: "static", subject: "bob" };
const MaxTtlMs = 3_600_000;

describe("task routes in the store", () => {
  const storage = new MemoryStorage();
  // The store expires records by the real clock: a fixed reading of it keeps expiresAt exact.
  const clock = Date.now();
  const routes = (secret = "s3cret") =>
    new TaskRoutes({ storage, secret, maxTtlMs: MaxTtlMs, now: () => clock });

  it("routes a task to its backend for its owner only; anyone else is told it is unknown", async () => {
    await routes().record("t-1", "jobs", alice, 60_000);
    expect(await routes().find("t-1", alice)).toBe("jobs");
    for (const other of [bob, undefined]) {
      await expect(routes().find("t-1", other)).rejects.toMatchObject({
        code: "VMCP_UNKNOWN_TASK",
        message: 'unknown task "t-1"',
      });
    }
    await expect(routes().find("t-2", alice)).rejects.toMatchObject({
      code: "VMCP_UNKNOWN_TASK",
    });
    // Another binding secret names another record: nothing is found.
    await expect(routes("other secret").find("t-1", alice)).rejects.toMatchObject({
      code: "VMCP_UNKNOWN_TASK",
    });
  });

  it("keeps an anonymous caller's task for anonymous callers only", async () => {
    await routes().record("anon", "jobs", undefined);
    expect(await routes().find("anon", undefined)).toBe("jobs");
    await expect(routes().find("anon", alice)).rejects.toMatchObject({ code: "VMCP_UNKNOWN_TASK" });
  });

  it("stores the route under a keyed ID, marked task-route, expiring with the task (at most maxTtlMs)", async () => {
    await routes().record("t-ttl", "jobs", alice, 60_000);
    await routes().record("t-long", "jobs", alice, 10 * MaxTtlMs);
    await routes().record("t-none", "jobs", alice);
    const keys = new TaskRouteKeys("s3cret");
    const stored = await storage.load(keys.recordId("t-ttl"));
    expect(keys.recordId("t-ttl")).toMatch(/^vmcp\.task-route\.[A-Za-z0-9_-]{43}$/);
    expect(stored?.metadata).toEqual({
      [MetadataKeyRecordKind]: RecordKind.TaskRoute,
      [taskRouteKey("t-ttl")]: "jobs",
      "vmcp.identity.issuer": "static",
      "vmcp.identity.subject": "alice",
      "vmcp.identity.binding": keys.bindingFor(alice),
    });
    expect(stored?.expiresAt).toBe(clock + 60_000);
    expect((await storage.load(keys.recordId("t-long")))?.expiresAt).toBe(clock + MaxTtlMs);
    expect((await storage.load(keys.recordId("t-none")))?.expiresAt).toBe(clock + MaxTtlMs);
  });

  it("records the same route twice without complaint, and refuses an ID routed to another backend or owner", async () => {
    await routes().record("dup", "jobs", alice);
    await routes().record("dup", "jobs", alice);
    await expect(routes().record("dup", "other", alice)).rejects.toMatchObject({
      code: "VMCP_TASK_ID_CONFLICT",
      taskId: "dup",
      workloadId: "other",
    });
    await expect(routes().record("dup", "jobs", bob)).rejects.toMatchObject({
      code: "VMCP_TASK_ID_CONFLICT",
    });
    expect(await routes().find("dup", alice)).toBe("jobs");
  });

  it("routes nothing through a record that is no task route for that very ID", async () => {
    const keys = new TaskRouteKeys("s3cret");
    await storage.create({
      id: keys.recordId("foreign"),
      metadata: { [taskRouteKey("foreign")]: "jobs" },
      expiresAt: clock + 60_000,
    });
    await expect(routes().find("foreign", undefined)).rejects.toMatchObject({
      code: "VMCP_UNKNOWN_TASK",
    });
    await expect(routes().record("foreign", "jobs", undefined)).rejects.toMatchObject({
      code: "VMCP_TASK_ID_CONFLICT",
    });
  });

  it("refuses a maxTtlMs that is no positive integer", () => {
    for (const maxTtlMs of [0, -1, 1.5]) {
      expect(() => new TaskRoutes({ storage, maxTtlMs })).toThrow(RangeError);
    }
  });
});

describe("the tasks extension's shapes", () => {
  it("tells whether capabilities declare the extension", () => {
    expect(declaresTasks({ extensions: { [TasksExtensionId]: {} } })).toBe(true);
    for (const caps of [
      undefined,
      {},
      { extensions: {} },
      { extensions: { [TasksExtensionId]: true } },
      { extensions: { [TasksExtensionId]: [] } },
      { tasks: {} },
    ]) {
      expect(declaresTasks(caps)).toBe(false);
    }
  });

  it("reads the task of a flat CreateTaskResult, and of one nested under task", () => {
    expect(createdTaskOf({ resultType: "task", taskId: "t", ttlMs: 5_000 })).toEqual({
      taskId: "t",
      ttlMs: 5_000,
    });
    expect(createdTaskOf({ resultType: "task", task: { taskId: "n", ttlMs: null } })).toEqual({
      taskId: "n",
    });
    expect(createdTaskOf({ resultType: "task", taskId: "f", ttlMs: 1.5 })).toEqual({
      taskId: "f",
    });
    expect(createdTaskOf({ resultType: "task", taskId: "" })).toBeUndefined();
    expect(createdTaskOf({ resultType: "task" })).toBeUndefined();
  });
});

describe("input requests against the caller's declared capabilities", () => {
  const form = { method: "elicitation/create", params: { mode: "form", message: "?" } };
  const url = { method: "elicitation/create", params: { mode: "url", url: "https://x" } };
  const sampling = { method: "sampling/createMessage", params: {} };
  const roots = { method: "roots/list" };

  const missing = (requests: unknown, declared: object | undefined) => {
    try {
      assertInputRequestsCovered(requests, declared);
      return undefined;
    } catch (error) {
      expect(error).toBeInstanceOf(MissingRequiredClientCapabilityError);
      return (error as MissingRequiredClientCapabilityError).requiredCapabilities;
    }
  };

  it("passes what the caller declared (a bare elicitation counts as form)", () => {
    expect(missing({ a: form }, { elicitation: {} })).toBeUndefined();
    expect(missing({ a: form }, { elicitation: { form: {} } })).toBeUndefined();
    expect(missing({ a: url }, { elicitation: { url: {} } })).toBeUndefined();
    expect(missing({ a: sampling, b: roots }, { sampling: {}, roots: {} })).toBeUndefined();
    expect(missing(undefined, undefined)).toBeUndefined();
  });

  it("names only what is missing", () => {
    expect(missing({ a: form }, { elicitation: { url: {} } })).toEqual({
      elicitation: { form: {} },
    });
    expect(missing({ a: url }, { elicitation: {} })).toEqual({ elicitation: { url: {} } });
    expect(missing({ a: sampling, b: roots, c: form }, { elicitation: {} })).toEqual({
      sampling: {},
      roots: {},
    });
    expect(missing({ a: roots }, undefined)).toEqual({ roots: {} });
  });

  it("refuses an input request of a kind 2026-07-28 does not define (-32603)", () => {
    expect(() => assertInputRequestsCovered({ a: { method: "ping" } }, {})).toThrow(
      expect.objectContaining({ code: -32603 }),
    );
  });
});
