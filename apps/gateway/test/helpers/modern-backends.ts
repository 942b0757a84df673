import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { toNodeHandler } from "@modelcontextprotocol/node";
import {
  type CacheHint,
  createMcpHandler,
  inputRequired,
  type McpHttpHandler,
  Server,
  type ServerContext,
  type ServerNotifier,
} from "@modelcontextprotocol/server";

/** How a fixture serves 2025-era traffic: `reject` (modern only) or `stateless` (dual era). */
export type FixtureEra = "reject" | "stateless";

/** Options of {@link startModernBackend}. */
export interface ModernBackendOptions {
  /** `reject`: a modern-only backend; `stateless`: a dual-era one (SDK default). */
  readonly legacy: FixtureEra;
  /** The caching hint its lists (and discover) carry; default the SDK's (`0`, `private`). */
  readonly listHint?: CacheHint;
  /** Its instructions; default `<workloadId> instructions`. */
  readonly instructions?: string;
  /**
   * Whether it announces changes: capabilities `tools`/`prompts`/`resources.listChanged` and
   * `resources.subscribe`, and a tool `<id>_change` (see {@link startModernBackend}). Default false.
   */
  readonly changes?: boolean;
  /** The loopback port to listen on (a restarted backend takes its old one); default a free one. */
  readonly port?: number;
}

/** A real SDK v2 backend on loopback HTTP, built for the gateway's 2026-07-28 tests. */
export interface ModernBackendFixture {
  readonly workloadId: string;
  /** `http://127.0.0.1:<port>/mcp`. */
  readonly url: string;
  /** POSTs received, by `Mcp-Method` header (or `(2025)` for a request without one). */
  readonly methods: Map<string, number>;
  /** The `_meta` of every `tools/call` it served (envelope keys included), in order. */
  readonly callMetas: Record<string, unknown>[];
  /** The `traceparent` HTTP header of every `tools/call` POST (`undefined`: none), in order. */
  readonly callTraceparents: (string | undefined)[];
  /** `key` of every `<id>_wait` call whose handler started. */
  readonly started: string[];
  /** `key` of every `<id>_wait` call whose handler saw its signal abort. */
  readonly aborted: string[];
  /** The raw params of every retried (multi-round) call: `inputResponses` and `requestState`. */
  readonly retries: { inputResponses?: unknown; requestState?: unknown }[];
  /** Answers the next `count` POSTs other than `server/discover` with HTTP 503 (an outage). */
  failNext(count: number): void;
  /** Publishes change events to its own listen streams (the SDK handler's `notify`). */
  readonly notify: ServerNotifier;
  /** Its listen streams open now (the listen router's acknowledged streams). */
  openListens(): number;
  /** The resource URIs its open listen streams follow (`resourceSubscriptions`), sorted, each once. */
  listenedUris(): string[];
  close(): Promise<void>;
}

/** Items per page of the fixture's `tools/list`. */
export const FixtureToolPageSize = 2;

/**
 * Starts a fixture backend named `workloadId`, with:
 * - tools (paged, {@link FixtureToolPageSize} per page): `echo` (a name every fixture has, so the
 *   gateway's naming rule prefixes it), `<id>_steps` (sends `count` progress notifications and
 *   log messages, then answers), `<id>_ask` (two multi-round-trip rounds: a name, then a colour,
 *   each with its own `requestState`), `<id>_wait` (waits until its request is cancelled);
 * - a prompt `<id>_greet` (argument `name`, completable), a resource `<id>://readme` and a
 *   template `<id>://items/{item}` (completable);
 * - capabilities tools, prompts, resources, completions and logging;
 * - with `changes`: the `listChanged` capabilities and `resources.subscribe`, and a tool
 *   `<id>_change` (arguments `kind`: `tools`, `prompts`, `resources` or `resource` with `uri`)
 *   that publishes that change to its listen streams before it answers; kind `tool` first adds
 *   a tool `<id>_grown_<n>` to its list (answering `grown <name>`), then publishes `tools`.
 */
export async function startModernBackend(
  workloadId: string,
  options: ModernBackendOptions,
): Promise<ModernBackendFixture> {
  const methods = new Map<string, number>();
  const callMetas: Record<string, unknown>[] = [];
  const callTraceparents: (string | undefined)[] = [];
  const started: string[] = [];
  const aborted: string[] = [];
  const retries: { inputResponses?: unknown; requestState?: unknown }[] = [];
  let failing = 0;
  const tools = [
    {
      name: "echo",
      description: `${workloadId} echo`,
      inputSchema: objectSchema({ text: "string" }),
    },
    {
      name: `${workloadId}_steps`,
      description: "progress and logs",
      inputSchema: objectSchema({ count: "integer" }),
    },
    { name: `${workloadId}_ask`, description: "asks twice", inputSchema: objectSchema({}) },
    ...(options.changes === true
      ? [
          {
            name: `${workloadId}_change`,
            description: "announces a change",
            inputSchema: objectSchema({ kind: "string", uri: "string" }),
          },
        ]
      : []),
    {
      name: `${workloadId}_wait`,
      description: "waits",
      inputSchema: objectSchema({ key: "string" }),
    },
  ];
  const hints =
    options.listHint === undefined
      ? {}
      : {
          cacheHints: {
            "tools/list": options.listHint,
            "prompts/list": options.listHint,
            "resources/list": options.listHint,
            "resources/templates/list": options.listHint,
            "server/discover": options.listHint,
          },
        };

  const factory = () => {
    const server = new Server(
      { name: `fixture-${workloadId}`, version: "1.0.0" },
      {
        capabilities:
          options.changes === true
            ? {
                tools: { listChanged: true },
                prompts: { listChanged: true },
                resources: { listChanged: true, subscribe: true },
                completions: {},
                logging: {},
              }
            : { tools: {}, prompts: {}, resources: {}, completions: {}, logging: {} },
        instructions: options.instructions ?? `${workloadId} instructions`,
        ...hints,
      },
    );
    server.setRequestHandler("tools/list", (request) => {
      const from = Number(request.params?.cursor ?? 0);
      const page = tools.slice(from, from + FixtureToolPageSize);
      const next = from + FixtureToolPageSize;
      return { tools: page, ...(next < tools.length ? { nextCursor: String(next) } : {}) };
    });
    server.setRequestHandler("tools/call", async (request, ctx) => {
      const { name } = request.params;
      const args = (request.params.arguments ?? {}) as Record<string, unknown>;
      callMetas.push({ ...ctx.mcpReq._meta, ...ctx.mcpReq.envelope });
      if (name === "echo") return text(`${workloadId}: ${String(args.text)}`);
      if (name === `${workloadId}_steps`) return steps(ctx, Number(args.count ?? 3));
      if (name === `${workloadId}_ask`) return ask(ctx, retries);
      if (name === `${workloadId}_wait`) return wait(ctx, String(args.key), started, aborted);
      if (name === `${workloadId}_change` && options.changes === true) {
        if (args.kind === "tool") {
          // A new tool, then the change: the next tools/list shows it.
          const grown = `${workloadId}_grown_${tools.length}`;
          tools.push({ name: grown, description: "a grown tool", inputSchema: objectSchema({}) });
          handler.notify.toolsChanged();
          return text(`grown ${grown}`);
        }
        return change(handler.notify, String(args.kind), String(args.uri));
      }
      return { isError: true, content: [{ type: "text" as const, text: `no tool ${name}` }] };
    });
    server.setRequestHandler("prompts/list", () => ({
      prompts: [
        {
          name: `${workloadId}_greet`,
          description: "greets",
          arguments: [{ name: "name", required: true }],
        },
      ],
    }));
    server.setRequestHandler("prompts/get", (request) => ({
      messages: [
        {
          role: "user" as const,
          content: {
            type: "text" as const,
            text: `${workloadId} greets ${String(request.params.arguments?.name)}`,
          },
        },
      ],
    }));
    server.setRequestHandler("resources/list", () => ({
      resources: [{ uri: `${workloadId}://readme`, name: "readme" }],
    }));
    server.setRequestHandler("resources/templates/list", () => ({
      resourceTemplates: [{ uriTemplate: `${workloadId}://items/{item}`, name: "items" }],
    }));
    server.setRequestHandler("resources/read", (request) => {
      const uri = request.params.uri;
      const item = new RegExp(`^${workloadId}://items/(.+)$`).exec(uri)?.[1];
      const body =
        uri === `${workloadId}://readme`
          ? `${workloadId} readme`
          : item
            ? `${workloadId} item ${item}`
            : undefined;
      if (body === undefined) throw new Error(`no resource ${uri}`);
      return { contents: [{ uri, text: body }] };
    });
    server.setRequestHandler("completion/complete", (request) => {
      const value = request.params.argument.value;
      const pool =
        request.params.ref.type === "ref/prompt" ? ["ann", "anna", "bob"] : ["1", "2", "3"];
      const values = pool.filter((v) => v.startsWith(value));
      return { completion: { values, total: values.length, hasMore: false } };
    });
    return server;
  };

  // The factory reads `handler` only when a request arrives, after it is assigned.
  const handler: McpHttpHandler = createMcpHandler(factory, { legacy: options.legacy });
  const node = toNodeHandler(handler);
  let openListens = 0;
  const listened = new Set<string[]>();
  const httpServer = createServer((req: IncomingMessage, res: ServerResponse) => {
    const header = req.headers["mcp-method"];
    const method =
      typeof header === "string" ? header : req.method === "POST" ? "(2025)" : `(${req.method})`;
    methods.set(method, (methods.get(method) ?? 0) + 1);
    if (method === "tools/call") {
      const traceparent = req.headers.traceparent;
      callTraceparents.push(typeof traceparent === "string" ? traceparent : undefined);
    }
    if (req.method === "POST" && method !== "server/discover" && failing > 0) {
      failing--;
      res.writeHead(503, { "content-type": "application/json" }).end('{"error":"outage"}');
      return;
    }
    if (method === "subscriptions/listen") {
      openListens++;
      res.once("close", () => openListens--);
      // The body is read here to learn the URIs the listen follows, and handed on parsed.
      void readJson(req).then((body) => {
        const uris = resourceSubscriptionsOf(body);
        listened.add(uris);
        res.once("close", () => listened.delete(uris));
        void node(req as Parameters<typeof node>[0], res, body);
      });
      return;
    }
    void node(req as Parameters<typeof node>[0], res);
  });
  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(options.port ?? 0, "127.0.0.1", resolve);
  });
  const { port } = httpServer.address() as AddressInfo;
  return {
    workloadId,
    url: `http://127.0.0.1:${port}/mcp`,
    methods,
    callMetas,
    callTraceparents,
    started,
    aborted,
    retries,
    failNext: (count) => {
      failing = count;
    },
    notify: handler.notify,
    openListens: () => openListens,
    listenedUris: () => [...new Set([...listened].flat())].sort(),
    close: async () => {
      await handler.close();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}

function change(notify: ServerNotifier, kind: string, uri: string) {
  if (kind === "tools") notify.toolsChanged();
  else if (kind === "prompts") notify.promptsChanged();
  else if (kind === "resources") notify.resourcesChanged();
  else if (kind === "resource") notify.resourceUpdated(uri);
  else return { isError: true, content: [{ type: "text" as const, text: `no kind ${kind}` }] };
  return text(`${kind} changed`);
}

/** The JSON body of a request (`undefined` when it is none). */
async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    return undefined;
  }
}

/** The `params.notifications.resourceSubscriptions` of a listen body (strings only). */
function resourceSubscriptionsOf(body: unknown): string[] {
  const params = (body as { params?: { notifications?: { resourceSubscriptions?: unknown } } })
    ?.params;
  const uris = params?.notifications?.resourceSubscriptions;
  return Array.isArray(uris) ? uris.filter((u): u is string => typeof u === "string") : [];
}

function text(value: string) {
  return { content: [{ type: "text" as const, text: value }] };
}

function objectSchema(properties: Record<string, string>) {
  return {
    type: "object" as const,
    properties: Object.fromEntries(Object.entries(properties).map(([k, t]) => [k, { type: t }])),
  };
}

async function steps(ctx: ServerContext, count: number) {
  const token = ctx.mcpReq._meta?.progressToken;
  for (let i = 1; i <= count; i++) {
    if (token !== undefined) {
      await ctx.mcpReq.notify({
        method: "notifications/progress",
        params: { progressToken: token, progress: i, total: count, message: `step ${i}` },
      });
    }
    // Sent whatever the caller's log level: the gateway relays logs only to a caller that set one.
    await ctx.mcpReq.notify({
      method: "notifications/message",
      params: { level: "info", data: `log ${i}` },
    });
  }
  return text(`${count} steps done`);
}

function ask(ctx: ServerContext, retries: { inputResponses?: unknown; requestState?: unknown }[]) {
  const state = ctx.mcpReq.requestState<string>();
  const responses = ctx.mcpReq.inputResponses ?? {};
  if (state !== undefined || Object.keys(responses).length > 0) {
    retries.push({ inputResponses: responses, requestState: state });
  }
  const accepted = (key: string) => {
    const answer = responses[key] as
      | { action?: string; content?: Record<string, unknown> }
      | undefined;
    return answer?.action === "accept" ? answer.content : undefined;
  };
  const schema = (field: string) => ({
    type: "object" as const,
    properties: { [field]: { type: "string" as const } },
    required: [field],
  });
  if (state === undefined || !state.startsWith("colour:")) {
    const name = accepted("name")?.name;
    if (typeof name !== "string") {
      return inputRequired({
        inputRequests: {
          name: inputRequired.elicit({ message: "Name?", requestedSchema: schema("name") }),
        },
        requestState: "name:",
      });
    }
    return inputRequired({
      inputRequests: {
        colour: inputRequired.elicit({ message: "Colour?", requestedSchema: schema("colour") }),
      },
      requestState: `colour:${name}`,
    });
  }
  const colour = accepted("colour")?.colour;
  return text(`${state.slice("colour:".length)} likes ${String(colour)}`);
}

async function wait(ctx: ServerContext, key: string, started: string[], aborted: string[]) {
  started.push(key);
  await new Promise<void>((resolve) => {
    if (ctx.mcpReq.signal.aborted) resolve();
    ctx.mcpReq.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  aborted.push(key);
  return text("cancelled");
}
