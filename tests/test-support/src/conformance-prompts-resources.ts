import { completable, type McpServer, ResourceTemplate } from "@modelcontextprotocol/server";
import { z } from "zod";
import { RedPixelPng } from "./conformance-media.js";

/** The values `completion/complete` offers for `arg1` of `test_prompt_with_arguments`. */
const Arg1Values = ["paris", "park", "party", "test", "testing"];

/**
 * Registers the prompts (`prompts-*`, `completion-complete`) and resources (`resources-*`) of the
 * conformance scenarios: `test_simple_prompt`, `test_prompt_with_arguments` (its `arg1` completes
 * by prefix), `test_prompt_with_embedded_resource`, `test_prompt_with_image`; `test://static-text`,
 * `test://static-binary`, `test://watched-resource` and the template `test://template/{id}/data`
 * (its `id` completes from 1..3). A URI none of them names is answered with the SDK's
 * resource-not-found error (`-32602` with `data.uri` on 2026-07-28).
 */
export function registerConformancePromptsAndResources(server: McpServer): void {
  server.registerPrompt(
    "test_simple_prompt",
    { description: "A prompt without arguments." },
    () => ({
      messages: [
        { role: "user", content: { type: "text", text: "This is a simple prompt for testing." } },
      ],
    }),
  );
  server.registerPrompt(
    "test_prompt_with_arguments",
    {
      description: "A prompt with two required arguments; arg1 completes.",
      argsSchema: z.object({
        arg1: completable(z.string().describe("First test argument"), (value) =>
          Arg1Values.filter((v) => v.startsWith(value)),
        ),
        arg2: z.string().describe("Second test argument"),
      }),
    },
    ({ arg1, arg2 }) => ({
      messages: [
        {
          role: "user",
          content: { type: "text", text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` },
        },
      ],
    }),
  );
  server.registerPrompt(
    "test_prompt_with_embedded_resource",
    {
      description: "A prompt that embeds the resource named by resourceUri.",
      argsSchema: z.object({ resourceUri: z.string().describe("URI of the resource to embed") }),
    },
    ({ resourceUri }) => ({
      messages: [
        {
          role: "user",
          content: {
            type: "resource",
            resource: {
              uri: resourceUri,
              mimeType: "text/plain",
              text: "Embedded resource content for testing.",
            },
          },
        },
        {
          role: "user",
          content: { type: "text", text: "Please process the embedded resource above." },
        },
      ],
    }),
  );
  server.registerPrompt(
    "test_prompt_with_image",
    { description: "A prompt with an image." },
    () => ({
      messages: [
        { role: "user", content: { type: "image", data: RedPixelPng, mimeType: "image/png" } },
        { role: "user", content: { type: "text", text: "Please analyze the image above." } },
      ],
    }),
  );

  server.registerResource(
    "static-text",
    "test://static-text",
    { description: "A fixed text resource.", mimeType: "text/plain" },
    (uri) => ({
      contents: [
        {
          uri: uri.href,
          mimeType: "text/plain",
          text: "This is the content of the static text resource.",
        },
      ],
    }),
  );
  server.registerResource(
    "static-binary",
    "test://static-binary",
    { description: "A fixed binary resource (a 1x1 PNG).", mimeType: "image/png" },
    (uri) => ({ contents: [{ uri: uri.href, mimeType: "image/png", blob: RedPixelPng }] }),
  );
  server.registerResource(
    "watched-resource",
    "test://watched-resource",
    { description: "A text resource clients may watch for updates.", mimeType: "text/plain" },
    (uri) => ({
      contents: [{ uri: uri.href, mimeType: "text/plain", text: "Watched resource content." }],
    }),
  );
  server.registerResource(
    "template-data",
    new ResourceTemplate("test://template/{id}/data", {
      list: undefined,
      complete: { id: (value) => ["1", "2", "3"].filter((id) => id.startsWith(value)) },
    }),
    { description: "JSON data for the id in the URI.", mimeType: "application/json" },
    (uri, { id }) => ({
      contents: [
        {
          uri: uri.href,
          mimeType: "application/json",
          text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }),
        },
      ],
    }),
  );
}
