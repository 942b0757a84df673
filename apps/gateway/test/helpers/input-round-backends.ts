import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { toNodeHandler } from "@modelcontextprotocol/node";
import {
  createMcpHandler,
  inputRequired,
  type McpHttpHandler,
  Server,
  type ServerContext,
} from "@modelcontextprotocol/server";

/** One request leg a round backend served: its tool, and what the gateway sent back with it. */
export interface RoundLeg {
  readonly tool: string;
  /** The `requestState` the leg carried (absent on a call's first leg). */
  readonly requestState?: string;
  /** The `inputResponses` the leg carried. */
  readonly inputResponses?: Record<string, unknown>;
  /** The envelope's `clientCapabilities` and `clientInfo`, as the backend saw them. */
  readonly clientCapabilities?: unknown;
  readonly clientInfo?: unknown;
}

/** A modern-only SDK v2 backend whose tools answer `input_required` (see {@link startRoundBackend}). */
export interface RoundBackend {
  readonly workloadId: string;
  /** `http://127.0.0.1:<port>/mcp`. */
  readonly url: string;
  /** Every leg of every tool call, in order. */
  readonly legs: RoundLeg[];
  /** Stops it: later requests find the port closed. */
  close(): Promise<void>;
}

const word = { type: "object" as const, properties: { value: { type: "string" as const } } };

/**
 * Starts a modern-only (`legacy: "reject"`) SDK v2 backend on loopback HTTP, with tools:
 * - `<id>_confirm`: progress 1 ("asking") and a log message (`asking`, when the request's envelope
 *   asks for logs), then one round (an elicitation); on the retry, progress 2 ("answered") and
 *   `confirmed <value>` (or `declined`);
 * - `<id>_survey`: two rounds: a sampling request, then an elicitation and a roots request in one
 *   round; answers `<sampled text>/<elicited value>/<root URIs>`;
 * - `<id>_forever`: an elicitation round on every leg, its `requestState` counting legs;
 * - `<id>_sample`: one sampling round; answers the sampled text.
 */
export async function startRoundBackend(workloadId: string): Promise<RoundBackend> {
  const legs: RoundLeg[] = [];
  const tool = (name: string) => ({
    name: `${workloadId}_${name}`,
    inputSchema: { type: "object" as const, properties: {} },
  });
  const factory = () => {
    const server = new Server(
      { name: `rounds-${workloadId}`, version: "1.0.0" },
      { capabilities: { tools: {}, logging: {} } },
    );
    server.setRequestHandler("tools/list", () => ({
      tools: [tool("confirm"), tool("survey"), tool("forever"), tool("sample")],
    }));
    server.setRequestHandler("tools/call", async (request, ctx) => {
      const name = request.params.name.slice(workloadId.length + 1);
      const state = ctx.mcpReq.requestState<string>();
      const responses = (ctx.mcpReq.inputResponses ?? {}) as Record<string, unknown>;
      const envelope = (ctx.mcpReq.envelope ?? {}) as Record<string, unknown>;
      legs.push({
        tool: name,
        ...(state === undefined ? {} : { requestState: state }),
        ...(Object.keys(responses).length === 0 ? {} : { inputResponses: responses }),
        clientCapabilities: envelope["io.modelcontextprotocol/clientCapabilities"],
        clientInfo: envelope["io.modelcontextprotocol/clientInfo"],
      });
      if (name === "confirm") return confirm(ctx, state, responses);
      if (name === "survey") return survey(state, responses);
      if (name === "forever") {
        const n = state === undefined ? 1 : Number(state.slice("leg:".length)) + 1;
        return inputRequired({
          inputRequests: {
            again: inputRequired.elicit({ message: `Again ${n}?`, requestedSchema: word }),
          },
          requestState: `leg:${n}`,
        });
      }
      if (name === "sample") {
        if (state === undefined) {
          return inputRequired({
            inputRequests: { pick: inputRequired.createMessage(sampling("Pick a number")) },
            requestState: "sample",
          });
        }
        return text(sampledText(responses.pick));
      }
      return { isError: true, content: [{ type: "text" as const, text: `no tool ${name}` }] };
    });
    return server;
  };
  const handler: McpHttpHandler = createMcpHandler(factory, { legacy: "reject" });
  const node = toNodeHandler(handler);
  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    void node(req as Parameters<typeof node>[0], res);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    workloadId,
    url: `http://127.0.0.1:${port}/mcp`,
    legs,
    close: () => {
      closed ??= (async () => {
        await handler.close();
        http.closeAllConnections();
        await new Promise<void>((resolve) => http.close(() => resolve()));
      })();
      return closed;
    },
  };
}

async function confirm(
  ctx: ServerContext,
  state: string | undefined,
  responses: Record<string, unknown>,
) {
  const token = ctx.mcpReq._meta?.progressToken;
  const progress = async (value: number, message: string) => {
    if (token === undefined) return;
    await ctx.mcpReq.notify({
      method: "notifications/progress",
      params: { progressToken: token, progress: value, total: 2, message },
    });
  };
  if (state !== "confirm") {
    await progress(1, "asking");
    await ctx.mcpReq.notify({
      method: "notifications/message",
      params: { level: "info", data: "asking" },
    });
    return inputRequired({
      inputRequests: { ok: inputRequired.elicit({ message: "Proceed?", requestedSchema: word }) },
      requestState: "confirm",
    });
  }
  await progress(2, "answered");
  const answer = responses.ok as { action?: string; content?: { value?: unknown } } | undefined;
  return text(
    answer?.action === "accept" ? `confirmed ${String(answer.content?.value)}` : "declined",
  );
}

function survey(state: string | undefined, responses: Record<string, unknown>) {
  if (state === undefined) {
    return inputRequired({
      inputRequests: { topic: inputRequired.createMessage(sampling("Pick a topic")) },
      requestState: "survey:1",
    });
  }
  if (state === "survey:1") {
    return inputRequired({
      inputRequests: {
        name: inputRequired.elicit({ message: "Your name?", requestedSchema: word }),
        roots: inputRequired.listRoots(),
      },
      requestState: `survey:2:${sampledText(responses.topic)}`,
    });
  }
  const name = (responses.name as { content?: { value?: unknown } } | undefined)?.content?.value;
  const roots = (responses.roots as { roots?: { uri: string }[] } | undefined)?.roots ?? [];
  const topic = state.slice("survey:2:".length);
  return text(`${topic}/${String(name)}/${roots.map((r) => r.uri).join(",")}`);
}

function sampling(prompt: string) {
  return {
    messages: [{ role: "user" as const, content: { type: "text" as const, text: prompt } }],
    maxTokens: 16,
  };
}

function sampledText(response: unknown): string {
  const content = (response as { content?: { text?: unknown } } | undefined)?.content;
  return String(content?.text);
}

function text(value: string) {
  return { content: [{ type: "text" as const, text: value }] };
}
