import { InMemoryTaskStore } from "@modelcontextprotocol/sdk/experimental/tasks/stores/in-memory.js";
import { completable } from "@modelcontextprotocol/sdk/server/completable.js";
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import {
  type CallToolResult,
  type ClientCapabilities,
  ListToolsRequestSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  type Tool,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { type RunningBackend, serveBackendHttp } from "../../dist/demo-backends/serve-backend.js";

/** What a feature backend saw, across all its sessions (tests read it directly). */
export interface BackendState {
  /** The capabilities each client declared at `initialize`. */
  readonly clientCapabilities: ClientCapabilities[];
  /** Every `logging/setLevel` level, in order. */
  readonly levels: string[];
  /** Every subscribe (`+uri`) and unsubscribe (`-uri`), in order. */
  readonly subscriptions: string[];
  /** The `_meta` of every `echo` call. */
  readonly metas: unknown[];
  /** `wait:started` and `wait:aborted` (or `wait:timeout`) of every `wait` call. */
  readonly events: string[];
}

/** A running feature backend. */
export interface FeatureBackend extends RunningBackend {
  readonly state: BackendState;
}

/** The page size of atlas's `tools/list`: small, so a client must page. */
export const AtlasPageSize = 2;

function newState(): BackendState {
  return { clientCapabilities: [], levels: [], subscriptions: [], metas: [], events: [] };
}

/**
 * "atlas": an SDK `McpServer` offering logging (levels recorded), completions (a prompt
 * argument and a template variable), resource templates, subscriptions (recorded), six tools
 * listed two per page, instructions, and an `echo` tool that records the request's `_meta`.
 */
export async function startAtlas(): Promise<FeatureBackend> {
  const state = newState();
  const running = await serveBackendHttp(() => {
    const server = new McpServer(
      { name: "atlas", version: "1.0.0" },
      {
        instructions: "Atlas: ask it for maps.",
        capabilities: { logging: {}, completions: {}, resources: { subscribe: true } },
      },
    );
    server.server.oninitialized = () => {
      const caps = server.server.getClientCapabilities();
      if (caps !== undefined) state.clientCapabilities.push(caps);
    };
    server.registerTool(
      "echo",
      { description: "atlas echo", inputSchema: { text: z.string() } },
      async ({ text }, extra) => {
        state.metas.push(extra._meta);
        return { content: [{ type: "text", text: `atlas:${text}` }] };
      },
    );
    server.registerTool(
      "wait",
      { description: "waits until cancelled (15 s at most)" },
      (extra) => {
        state.events.push("wait:started");
        return new Promise((resolve) => {
          const timer = setTimeout(() => {
            state.events.push("wait:timeout");
            resolve({ content: [{ type: "text", text: "timeout" }] });
          }, 15_000);
          extra.signal.addEventListener("abort", () => {
            clearTimeout(timer);
            state.events.push("wait:aborted");
            resolve({ content: [{ type: "text", text: "aborted" }] });
          });
        });
      },
    );
    for (const n of [1, 2, 3, 4]) {
      server.registerTool(`a${n}`, { description: `atlas tool ${n}` }, async () => ({
        content: [{ type: "text", text: `a${n}` }],
      }));
    }
    server.registerPrompt(
      "greet",
      {
        description: "greets someone",
        argsSchema: {
          name: completable(z.string(), (value) =>
            ["alice", "albert", "bob"].filter((n) => n.startsWith(value)),
          ),
        },
      },
      ({ name }) => ({
        messages: [{ role: "user", content: { type: "text", text: `Hello ${name}` } }],
      }),
    );
    server.registerResource(
      "readme",
      "atlas://readme",
      { mimeType: "text/plain" },
      async (uri) => ({ contents: [{ uri: uri.href, text: "atlas readme" }] }),
    );
    server.registerResource(
      "map",
      new ResourceTemplate("atlas://maps/{region}", {
        list: undefined,
        complete: {
          region: (value) => ["north", "south", "nowhere"].filter((r) => r.startsWith(value)),
        },
      }),
      { mimeType: "text/plain" },
      async (uri, { region }) => ({ contents: [{ uri: uri.href, text: `map of ${region}` }] }),
    );
    server.registerResource(
      "shared",
      new ResourceTemplate("shared://{id}", { list: undefined }),
      {},
      async (uri, { id }) => ({ contents: [{ uri: uri.href, text: `atlas ${id}` }] }),
    );
    // Paged tools/list (McpServer lists every tool at once).
    const registered: Tool[] = [
      {
        name: "echo",
        description: "atlas echo",
        inputSchema: {
          type: "object",
          properties: { text: { type: "string" } },
          required: ["text"],
        },
      },
      {
        name: "wait",
        description: "waits until cancelled (15 s at most)",
        inputSchema: { type: "object" },
      },
      ...[1, 2, 3, 4].map((n) => ({
        name: `a${n}`,
        description: `atlas tool ${n}`,
        inputSchema: { type: "object" as const },
      })),
    ];
    server.server.setRequestHandler(ListToolsRequestSchema, async (request) => {
      const tools = registered;
      const start = request.params?.cursor === undefined ? 0 : Number(request.params.cursor);
      if (!Number.isInteger(start) || start < 0 || start > tools.length) {
        throw new Error("bad cursor");
      }
      const end = start + AtlasPageSize;
      return {
        tools: tools.slice(start, end),
        ...(end < tools.length ? { nextCursor: String(end) } : {}),
      };
    });
    server.server.setRequestHandler(SetLevelRequestSchema, async (request) => {
      state.levels.push(request.params.level);
      return {};
    });
    server.server.setRequestHandler(SubscribeRequestSchema, async (request) => {
      state.subscriptions.push(`+${request.params.uri}`);
      return {};
    });
    server.server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
      state.subscriptions.push(`-${request.params.uri}`);
      return {};
    });
    return server;
  });
  return { ...running, state };
}

/**
 * "bravo": an SDK `McpServer` offering tasks (a task-only tool `slow-sum` whose task completes
 * about 50 ms after it is made), an `echo` tool (so names conflict with atlas), a resource
 * without subscriptions and a `shared://{id}` template that atlas offers too.
 */
export async function startBravo(): Promise<FeatureBackend> {
  const state = newState();
  const taskStore = new InMemoryTaskStore();
  const running = await serveBackendHttp(() => {
    const server = new McpServer(
      { name: "bravo", version: "1.0.0" },
      {
        instructions: "Bravo: long sums run as tasks.",
        capabilities: { tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } },
        taskStore,
      },
    );
    server.server.oninitialized = () => {
      const caps = server.server.getClientCapabilities();
      if (caps !== undefined) state.clientCapabilities.push(caps);
    };
    server.registerTool(
      "echo",
      { description: "bravo echo", inputSchema: { text: z.string() } },
      async ({ text }, extra) => {
        state.metas.push(extra._meta);
        return { content: [{ type: "text", text: `bravo:${text}` }] };
      },
    );
    server.experimental.tasks.registerToolTask(
      "slow-sum",
      {
        description: "adds two numbers, as a task",
        inputSchema: { a: z.number(), b: z.number() },
        execution: { taskSupport: "required" },
      },
      {
        createTask: async ({ a, b }, extra) => {
          const task = await extra.taskStore.createTask({ ttl: 60_000 });
          setTimeout(() => {
            void extra.taskStore
              .storeTaskResult(task.taskId, "completed", {
                content: [{ type: "text", text: String(a + b) }],
              })
              .catch(() => undefined);
          }, 50);
          return { task };
        },
        getTask: async (_args, extra) => extra.taskStore.getTask(extra.taskId),
        getTaskResult: async (_args, extra) =>
          (await extra.taskStore.getTaskResult(extra.taskId)) as CallToolResult,
      },
    );
    server.experimental.tasks.registerToolTask(
      "hold",
      {
        description: "a task that runs until cancelled (10 s at most)",
        execution: { taskSupport: "required" },
      },
      {
        createTask: async (extra) => {
          const task = await extra.taskStore.createTask({ ttl: 60_000 });
          setTimeout(() => {
            void extra.taskStore
              .storeTaskResult(task.taskId, "completed", {
                content: [{ type: "text", text: "held" }],
              })
              .catch(() => undefined);
          }, 10_000).unref();
          return { task };
        },
        getTask: async (extra) => extra.taskStore.getTask(extra.taskId),
        getTaskResult: async (extra) =>
          (await extra.taskStore.getTaskResult(extra.taskId)) as CallToolResult,
      },
    );
    server.registerResource("status", "bravo://status", {}, async (uri) => ({
      contents: [{ uri: uri.href, text: "bravo ok" }],
    }));
    server.registerResource(
      "shared",
      new ResourceTemplate("shared://{id}", { list: undefined }),
      {},
      async (uri, { id }) => ({ contents: [{ uri: uri.href, text: `bravo ${id}` }] }),
    );
    return server;
  });
  return {
    ...running,
    state,
    close: async () => {
      await running.close();
      taskStore.cleanup();
    },
  };
}
