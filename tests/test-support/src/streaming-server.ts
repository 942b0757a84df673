import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import {
  CreateMessageResultSchema,
  ElicitResultSchema,
  ListRootsResultSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";

/** Progress notifications `everything` sends (with the caller's `progressToken`). */
export const StreamingProgressSteps = 6;

/** Log messages (`notifications/message`) `everything` sends. */
export const StreamingLogCount = 2;

/** What a streaming server did, for a test to observe across processes. */
export interface StreamingEvent {
  /** The server's tag (its name). */
  readonly tag: string;
  /** The process that served it. */
  readonly pid: number;
  /**
   * `wait-started`, `wait-aborted` (detail: the abort reason), `wait-timeout`,
   * `sample-asked`, `sample-answered` (detail: the answer's text), `sample-failed` (detail: the
   * error), `subscribed` / `unsubscribed` (key: the URI), `lists-changed` (detail: the names added).
   */
  readonly kind: string;
  /** The `key` argument of the tool call (or the URI), to find one call's events. */
  readonly key: string;
  readonly detail?: string;
}

/** Options of {@link makeStreamingServer}. */
export interface StreamingServerOptions {
  /** Pause between two progress notifications, ms. Default 5. */
  readonly stepDelayMs?: number;
  /** Bound on each server-to-client request (sampling, elicitation, roots), ms. Default 30,000. */
  readonly askTimeoutMs?: number;
  /** Bound on `wait-cancel`, ms. Default 30,000. */
  readonly waitBoundMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function text(value: string) {
  return { content: [{ type: "text" as const, text: value }] };
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `error ${code === undefined ? "" : String(code)}: ${error.message}`;
  }
  return `error: ${String(error)}`;
}

/**
 * A real SDK `McpServer` that exercises every server-to-client message of MCP 2025-11-25, for
 * the gateway's end-to-end tests and benchmark (one per backend session; `tag` names it and
 * prefixes what it sends, so two of them are told apart). Tools:
 * - `everything` (`{ key }`): {@link StreamingProgressSteps} progress notifications with the
 *   caller's `progressToken`, {@link StreamingLogCount} log messages, then in turn
 *   `sampling/createMessage`, `elicitation/create` in form mode, in URL mode (then, once
 *   accepted, `notifications/elicitation/complete`), and `roots/list`, all related to the call (so they travel on its response stream); answers one JSON text
 *   `{sampling, form, url, roots}` with what the client answered each (or `error ...`);
 * - `progress` (`{ steps, key? }`): `steps` progress notifications, then `done <steps>`;
 * - `sample` (`{ key, prompt }`): one sampling request; answers the sampled text;
 * - `wait-cancel` (`{ key }`): runs until its abort signal fires (recorded), bounded;
 * - `change-lists` (`{ key }`): adds a tool `<tag>-extra-<n>`, a prompt and a resource, so the
 *   server sends `notifications/{tools,prompts,resources}/list_changed` (unrelated to any
 *   request: on the standalone stream);
 * - `touch` (`{ uri }`): sends `notifications/resources/updated` for `uri` (standalone stream);
 * - `whoami`: `<tag>:<pid>`.
 * Resource `stream://<tag>/counter` (subscribable; subscriptions recorded), prompt
 * `<tag>-hello`. Declares `logging`, `tools`/`prompts`/`resources` with `listChanged`, and
 * `resources.subscribe`.
 */
export function makeStreamingServer(
  tag: string,
  onEvent: (event: StreamingEvent) => void,
  options: StreamingServerOptions = {},
): McpServer {
  const stepDelayMs = options.stepDelayMs ?? 5;
  const askTimeoutMs = options.askTimeoutMs ?? 30_000;
  const waitBoundMs = options.waitBoundMs ?? 30_000;
  const record = (kind: string, key: string, detail?: string) =>
    onEvent({ tag, pid: process.pid, kind, key, ...(detail === undefined ? {} : { detail }) });
  const server = new McpServer(
    { name: `stream-${tag}`, version: "1.0.0" },
    {
      capabilities: {
        logging: {},
        tools: { listChanged: true },
        prompts: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
      },
    },
  );

  server.registerTool(
    "progress",
    {
      description: "sends `steps` progress notifications, then answers",
      inputSchema: { steps: z.number().int().min(0).max(1000), key: z.string().optional() },
    },
    async ({ steps }, extra) => {
      const progressToken = extra._meta?.progressToken;
      for (let i = 1; i <= steps; i++) {
        if (progressToken !== undefined) {
          await extra.sendNotification({
            method: "notifications/progress",
            params: { progressToken, progress: i, total: steps, message: `${tag} step ${i}` },
          });
        }
        if (stepDelayMs > 0) await sleep(stepDelayMs);
      }
      return text(`done ${steps}`);
    },
  );

  server.registerTool(
    "everything",
    {
      description: "progress, logs, sampling, elicitation (form, URL) and roots, in turn",
      inputSchema: { key: z.string() },
    },
    async ({ key }, extra) => {
      const progressToken = extra._meta?.progressToken;
      for (let i = 1; i <= StreamingProgressSteps; i++) {
        if (progressToken !== undefined) {
          await extra.sendNotification({
            method: "notifications/progress",
            params: {
              progressToken,
              progress: i,
              total: StreamingProgressSteps,
              message: `${tag} step ${i}`,
            },
          });
        }
        if (stepDelayMs > 0) await sleep(stepDelayMs);
      }
      for (let i = 1; i <= StreamingLogCount; i++) {
        await extra.sendNotification({
          method: "notifications/message",
          params: { level: "info", logger: tag, data: `${tag} log ${i}` },
        });
      }
      const ask = { timeout: askTimeoutMs };
      const answers: Record<string, unknown> = {};
      try {
        const sampled = await extra.sendRequest(
          {
            method: "sampling/createMessage",
            params: {
              messages: [{ role: "user", content: { type: "text", text: `${tag} asks` } }],
              maxTokens: 16,
            },
          },
          CreateMessageResultSchema,
          ask,
        );
        answers.sampling = sampled.content.type === "text" ? sampled.content.text : sampled;
      } catch (error) {
        answers.sampling = errorText(error);
      }
      try {
        const form = await extra.sendRequest(
          {
            method: "elicitation/create",
            params: {
              mode: "form",
              message: `${tag} form`,
              requestedSchema: {
                type: "object",
                properties: { name: { type: "string" } },
                required: ["name"],
              },
            },
          },
          ElicitResultSchema,
          ask,
        );
        answers.form = { action: form.action, content: form.content };
      } catch (error) {
        answers.form = errorText(error);
      }
      try {
        const url = await extra.sendRequest(
          {
            method: "elicitation/create",
            params: {
              mode: "url",
              message: `${tag} url`,
              url: `https://consent.example.com/${tag}`,
              elicitationId: `${tag}-${key}`,
            },
          },
          ElicitResultSchema,
          ask,
        );
        answers.url = { action: url.action };
        if (url.action === "accept") {
          // The out-of-band step is done at once: say so, as a URL-mode server does.
          await extra.sendNotification({
            method: "notifications/elicitation/complete",
            params: { elicitationId: `${tag}-${key}` },
          });
        }
      } catch (error) {
        answers.url = errorText(error);
      }
      try {
        const roots = await extra.sendRequest({ method: "roots/list" }, ListRootsResultSchema, ask);
        answers.roots = roots.roots.map((root) => root.uri);
      } catch (error) {
        answers.roots = errorText(error);
      }
      return text(JSON.stringify(answers));
    },
  );

  server.registerTool(
    "sample",
    {
      description: "one sampling request; answers the sampled text",
      inputSchema: { key: z.string(), prompt: z.string() },
    },
    async ({ key, prompt }, extra) => {
      record("sample-asked", key);
      try {
        const sampled = await extra.sendRequest(
          {
            method: "sampling/createMessage",
            params: {
              messages: [{ role: "user", content: { type: "text", text: prompt } }],
              maxTokens: 16,
            },
          },
          CreateMessageResultSchema,
          { timeout: askTimeoutMs },
        );
        const answer = sampled.content.type === "text" ? sampled.content.text : "(not text)";
        record("sample-answered", key, answer);
        return text(answer);
      } catch (error) {
        record("sample-failed", key, errorText(error));
        throw error;
      }
    },
  );

  server.registerTool(
    "wait-cancel",
    {
      description: "runs until cancelled (bounded); records its abort",
      inputSchema: { key: z.string() },
    },
    ({ key }, extra) => {
      record("wait-started", key);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          record("wait-timeout", key);
          resolve(text("timeout"));
        }, waitBoundMs);
        extra.signal.addEventListener("abort", () => {
          clearTimeout(timer);
          record("wait-aborted", key, String(extra.signal.reason ?? ""));
          resolve(text("aborted"));
        });
      });
    },
  );

  let added = 0;
  server.registerTool(
    "change-lists",
    {
      description: "adds a tool, a prompt and a resource (three list_changed notifications)",
      inputSchema: { key: z.string() },
    },
    async ({ key }) => {
      added++;
      const name = `${tag}-extra-${added}`;
      server.registerTool(name, { description: `added by ${key}` }, async () => text(name));
      server.registerPrompt(name, { description: `added by ${key}` }, async () => ({
        messages: [{ role: "user", content: { type: "text", text: name } }],
      }));
      server.registerResource(name, `stream://${tag}/extra/${added}`, {}, async (uri) => ({
        contents: [{ uri: uri.href, text: name }],
      }));
      record("lists-changed", key, name);
      return text(name);
    },
  );

  server.registerTool(
    "touch",
    {
      description: "sends notifications/resources/updated for the URI",
      inputSchema: { uri: z.string() },
    },
    async ({ uri }) => {
      await server.server.sendResourceUpdated({ uri });
      return text(`touched ${uri}`);
    },
  );

  server.registerTool("whoami", { description: "names the server and its process" }, async () =>
    text(`${tag}:${process.pid}`),
  );

  server.registerResource(
    "counter",
    `stream://${tag}/counter`,
    { mimeType: "text/plain" },
    async (uri) => ({ contents: [{ uri: uri.href, text: `${tag} counter` }] }),
  );
  server.registerPrompt(`${tag}-hello`, { description: "says hello" }, async () => ({
    messages: [{ role: "user", content: { type: "text", text: `hello from ${tag}` } }],
  }));
  server.server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    record("subscribed", request.params.uri);
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    record("unsubscribed", request.params.uri);
    return {};
  });
  return server;
}
