import { setTimeout as sleep } from "node:timers/promises";
import {
  type CallToolResult,
  inputRequired,
  inputResponse,
  type McpServer,
  type ServerContext,
  type ServerNotifier,
} from "@modelcontextprotocol/server";
import { RedPixelPng, SilentWav } from "./conformance-media.js";

/** Pause between the notifications of the progress and logging tools, ms (the scenarios ask ~50). */
const StepMs = 50;

function text(value: string): CallToolResult {
  return { content: [{ type: "text", text: value }] };
}

/**
 * Registers the tools whose result is fixed content (`tools-call-*` scenarios) and the diagnostic
 * tools `server-stateless` calls: `test_missing_capability`, `test_streaming_elicitation`,
 * `test_logging_tool` and the two list-change triggers, which publish on `notify` (the listen
 * streams of the handler serving this server).
 */
export function registerConformanceTools(server: McpServer, notify: ServerNotifier): void {
  server.registerTool("test_simple_text", { description: "Returns one text block." }, () =>
    text("This is a simple text response for testing."),
  );
  server.registerTool("test_image_content", { description: "Returns a 1x1 red PNG." }, () => ({
    content: [{ type: "image", data: RedPixelPng, mimeType: "image/png" }],
  }));
  server.registerTool(
    "test_audio_content",
    { description: "Returns 1 ms of silent WAV audio." },
    () => ({ content: [{ type: "audio", data: SilentWav, mimeType: "audio/wav" }] }),
  );
  server.registerTool(
    "test_embedded_resource",
    { description: "Returns an embedded text resource." },
    () => ({
      content: [
        {
          type: "resource",
          resource: {
            uri: "test://embedded-resource",
            mimeType: "text/plain",
            text: "This is an embedded resource content.",
          },
        },
      ],
    }),
  );
  server.registerTool(
    "test_multiple_content_types",
    { description: "Returns text, an image and an embedded resource." },
    () => ({
      content: [
        { type: "text", text: "Multiple content types test:" },
        { type: "image", data: RedPixelPng, mimeType: "image/png" },
        {
          type: "resource",
          resource: {
            uri: "test://mixed-content-resource",
            mimeType: "application/json",
            text: JSON.stringify({ test: "data", value: 123 }),
          },
        },
      ],
    }),
  );
  server.registerTool(
    "test_error_handling",
    { description: "Always fails: a tool error (isError), not a protocol error." },
    () => ({
      isError: true,
      content: [{ type: "text", text: "This tool intentionally returns an error for testing" }],
    }),
  );
  server.registerTool(
    "test_tool_with_progress",
    { description: "Reports progress 0, 50 and 100 of 100 when the caller sent a progressToken." },
    async (ctx) => {
      const progressToken = ctx.mcpReq._meta?.progressToken;
      for (const progress of [0, 50, 100]) {
        if (progress > 0) await sleep(StepMs);
        if (progressToken !== undefined) {
          await ctx.mcpReq.notify({
            method: "notifications/progress",
            params: { progressToken, progress, total: 100 },
          });
        }
      }
      return text(`Progress tool completed (token ${progressToken ?? "none"}).`);
    },
  );
  server.registerTool(
    "test_tool_with_logging",
    { description: "Logs three info messages, 50 ms apart (only when the caller asked for logs)." },
    async (ctx) => {
      for (const [i, message] of [
        "Tool execution started",
        "Tool processing data",
        "Tool execution completed",
      ].entries()) {
        if (i > 0) await sleep(StepMs);
        await ctx.mcpReq.log("info", message);
      }
      return text("Logging tool completed.");
    },
  );
  server.registerTool(
    "test_logging_tool",
    { description: "Logs one message; a request without a logLevel gets none (server-stateless)." },
    async (ctx) => {
      await ctx.mcpReq.log("info", "test_logging_tool ran");
      return text("Logged at info (sent only if the request named a logLevel).");
    },
  );
  server.registerTool(
    "test_trigger_tool_change",
    { description: "Publishes notifications/tools/list_changed to the open listen streams." },
    () => {
      notify.toolsChanged();
      return text("tools list_changed published");
    },
  );
  server.registerTool(
    "test_trigger_prompt_change",
    { description: "Publishes notifications/prompts/list_changed to the open listen streams." },
    () => {
      notify.promptsChanged();
      return text("prompts list_changed published");
    },
  );
  server.registerTool(
    "test_missing_capability",
    {
      description:
        "Needs sampling: asks the client for a completion, so a client that did not declare sampling gets -32021.",
    },
    (ctx: ServerContext) => {
      const answer = inputResponse(ctx.mcpReq.inputResponses, "sample");
      if (answer.kind === "sampling") return text("sampling answered");
      return inputRequired({
        inputRequests: {
          sample: inputRequired.createMessage({
            messages: [{ role: "user", content: { type: "text", text: "Say hello." } }],
            maxTokens: 20,
          }),
        },
      });
    },
  );
  server.registerTool(
    "test_streaming_elicitation",
    {
      description:
        "Answers with an input_required elicitation (never a server-to-client request), then completes.",
    },
    (ctx: ServerContext) => {
      const answer = inputResponse(ctx.mcpReq.inputResponses, "confirm");
      if (answer.kind === "elicit") return text(`elicitation answered: ${answer.action}`);
      return inputRequired({
        inputRequests: {
          confirm: inputRequired.elicit({
            message: "Continue?",
            requestedSchema: {
              type: "object",
              properties: { ok: { type: "boolean" } },
              required: ["ok"],
            },
          }),
        },
      });
    },
  );
}
