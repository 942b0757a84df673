import {
  acceptedContent,
  type CallToolResult,
  CLIENT_CAPABILITIES_META_KEY,
  type CreateMessageResult,
  type CreateMessageResultWithTools,
  type ElicitRequestFormParams,
  type InputRequests,
  inputRequired,
  inputResponse,
  type McpServer,
  type RequestStateCodec,
  type ServerContext,
} from "@modelcontextprotocol/server";
import { z } from "zod";

/**
 * What the backend seals into a `requestState` (HMAC-signed by the codec, so a client can read it
 * but not alter it): the tool that minted it, the round it closes, and what earlier rounds
 * answered.
 */
export interface ConformanceRequestState {
  readonly tool: string;
  readonly round: number;
  readonly name?: string;
}

type Codec = RequestStateCodec<ConformanceRequestState>;

const NameAnswer = z.object({ name: z.string() });
const ConfirmAnswer = z.object({ ok: z.boolean() });
const ColorAnswer = z.object({ color: z.string() });
const ContextAnswer = z.object({ context: z.string() });

function text(value: string): CallToolResult {
  return { content: [{ type: "text", text: value }] };
}

/** A form-mode elicitation of one required property. */
function ask(message: string, property: string, schema: { type: "string" } | { type: "boolean" }) {
  const requestedSchema: ElicitRequestFormParams["requestedSchema"] = {
    type: "object",
    properties: { [property]: schema },
    required: [property],
  };
  return inputRequired.elicit({ message, requestedSchema });
}

const askName = (message = "What is your name?") => ask(message, "name", { type: "string" });
const askConfirm = () => ask("Please confirm", "ok", { type: "boolean" });
const askCapital = () =>
  inputRequired.createMessage({
    messages: [{ role: "user", content: { type: "text", text: "What is the capital of France?" } }],
    maxTokens: 100,
  });
const askGreeting = () =>
  inputRequired.createMessage({
    messages: [{ role: "user", content: { type: "text", text: "Generate a greeting" } }],
    maxTokens: 50,
  });

/** The text of a sampling answer's first text block, or `(no text)`. */
function samplingText(result: CreateMessageResult | CreateMessageResultWithTools): string {
  const first = [result.content].flat()[0];
  return first?.type === "text" ? first.text : "(no text)";
}

/**
 * Whether the request's envelope declares the client capability `name` (2026-07-28 only: a
 * 2025-era request has no envelope, and declares nothing here).
 */
function declares(ctx: ServerContext, name: "elicitation" | "sampling" | "roots"): boolean {
  const envelope: Record<string, unknown> = { ...ctx.mcpReq.envelope };
  const declared = envelope[CLIENT_CAPABILITIES_META_KEY];
  return typeof declared === "object" && declared !== null && name in declared;
}

/** The verified state of this round when it was minted by `tool`, else undefined. */
function stateOf(ctx: ServerContext, tool: string): ConformanceRequestState | undefined {
  const state = ctx.mcpReq.requestState<ConformanceRequestState>();
  return state?.tool === tool ? state : undefined;
}

/**
 * Registers the multi-round-trip (`input_required`) tools of the `input-required-result-*`
 * scenarios. Every answer is read from `ctx.mcpReq.inputResponses` and validated; a missing or
 * invalid answer is asked for again with a new `input_required` result (never an error), and
 * unknown keys are ignored. A tool that carries state across rounds seals it with `codec`, whose
 * `verify` the server runs before the handler (a tampered state is answered `-32602`).
 */
export function registerInputRequiredTools(server: McpServer, codec: Codec): void {
  const mint = (ctx: ServerContext, state: ConformanceRequestState) => codec.mint(state, ctx);

  server.registerTool(
    "test_input_required_result_elicitation",
    { description: "Asks the client for a name (elicitation), then greets it." },
    (ctx) => {
      const answer = acceptedContent(ctx.mcpReq.inputResponses, "user_name", NameAnswer);
      if (answer) return text(`Hello, ${answer.name}!`);
      return inputRequired({ inputRequests: { user_name: askName() } });
    },
  );

  server.registerTool(
    "test_input_required_result_sampling",
    { description: "Asks the client's model a question (sampling), then returns its answer." },
    (ctx) => {
      const answer = inputResponse(ctx.mcpReq.inputResponses, "capital_question");
      if (answer.kind === "sampling") return text(`The model said: ${samplingText(answer.result)}`);
      return inputRequired({ inputRequests: { capital_question: askCapital() } });
    },
  );

  server.registerTool(
    "test_input_required_result_list_roots",
    { description: "Asks the client for its roots, then lists them." },
    (ctx) => {
      const answer = inputResponse(ctx.mcpReq.inputResponses, "client_roots");
      if (answer.kind === "roots") {
        return text(`Client roots: ${answer.roots.map((root) => root.uri).join(", ") || "(none)"}`);
      }
      return inputRequired({ inputRequests: { client_roots: inputRequired.listRoots() } });
    },
  );

  server.registerTool(
    "test_input_required_result_request_state",
    {
      description:
        "Asks for a confirmation with a signed requestState; says state-ok once both return.",
    },
    async (ctx) => {
      const tool = "test_input_required_result_request_state";
      const answer = acceptedContent(ctx.mcpReq.inputResponses, "confirm", ConfirmAnswer);
      if (answer && stateOf(ctx, tool)?.round === 1)
        return text(`state-ok (confirmed: ${answer.ok})`);
      return inputRequired({
        inputRequests: { confirm: askConfirm() },
        requestState: await mint(ctx, { tool, round: 1 }),
      });
    },
  );

  server.registerTool(
    "test_input_required_result_multiple_inputs",
    {
      description:
        "Asks for a name, a sampled greeting and the roots at once, with a requestState.",
    },
    async (ctx) => {
      const tool = "test_input_required_result_multiple_inputs";
      // Answers count only when they come back with this tool's state.
      const responses = stateOf(ctx, tool) ? ctx.mcpReq.inputResponses : undefined;
      const name = acceptedContent(responses, "user_name", NameAnswer);
      const greeting = inputResponse(responses, "greeting");
      const roots = inputResponse(responses, "client_roots");
      if (name && greeting.kind === "sampling" && roots.kind === "roots") {
        return text(
          `${samplingText(greeting.result)}, ${name.name} (${roots.roots.length} root(s))`,
        );
      }
      const missing: InputRequests = {};
      if (!name) missing.user_name = askName();
      if (greeting.kind !== "sampling") missing.greeting = askGreeting();
      if (roots.kind !== "roots") missing.client_roots = inputRequired.listRoots();
      return inputRequired({
        inputRequests: missing,
        requestState: await mint(ctx, { tool, round: 1 }),
      });
    },
  );

  server.registerTool(
    "test_input_required_result_multi_round",
    { description: "Asks for a name, then (with the state of round 1) a colour, then completes." },
    async (ctx) => {
      const tool = "test_input_required_result_multi_round";
      const state = stateOf(ctx, tool);
      const responses = ctx.mcpReq.inputResponses;
      if (state?.round === 2 && state.name !== undefined) {
        const color = acceptedContent(responses, "step2", ColorAnswer);
        if (color) return text(`${state.name} likes ${color.color}.`);
      }
      const name = state?.round === 1 ? acceptedContent(responses, "step1", NameAnswer) : undefined;
      const known = name?.name ?? (state?.round === 2 ? state.name : undefined);
      if (known !== undefined) {
        return inputRequired({
          inputRequests: {
            step2: ask("Step 2: What is your favorite color?", "color", { type: "string" }),
          },
          requestState: await mint(ctx, { tool, round: 2, name: known }),
        });
      }
      return inputRequired({
        inputRequests: { step1: askName("Step 1: What is your name?") },
        requestState: await mint(ctx, { tool, round: 1 }),
      });
    },
  );

  server.registerTool(
    "test_input_required_result_tampered_state",
    { description: "Like request_state; an altered requestState is refused before the tool runs." },
    async (ctx) => {
      const tool = "test_input_required_result_tampered_state";
      const answer = acceptedContent(ctx.mcpReq.inputResponses, "confirm", ConfirmAnswer);
      if (answer && stateOf(ctx, tool)) return text("requestState verified");
      return inputRequired({
        inputRequests: { confirm: askConfirm() },
        requestState: await mint(ctx, { tool, round: 1 }),
      });
    },
  );

  server.registerTool(
    "test_input_required_result_capabilities",
    { description: "Asks only for the inputs the request's clientCapabilities declare." },
    (ctx) => {
      if (ctx.mcpReq.inputResponses && Object.keys(ctx.mcpReq.inputResponses).length > 0) {
        return text(`answered: ${Object.keys(ctx.mcpReq.inputResponses).sort().join(", ")}`);
      }
      const requests: InputRequests = {};
      if (declares(ctx, "elicitation")) requests.user_name = askName();
      if (declares(ctx, "sampling")) requests.capital_question = askCapital();
      if (declares(ctx, "roots")) requests.client_roots = inputRequired.listRoots();
      if (Object.keys(requests).length === 0)
        return text("the client declared no input capability");
      return inputRequired({ inputRequests: requests });
    },
  );

  server.registerPrompt(
    "test_input_required_result_prompt",
    { description: "A prompt that first asks the client (elicitation) for its context." },
    (ctx) => {
      const answer = acceptedContent(ctx.mcpReq.inputResponses, "user_context", ContextAnswer);
      if (answer) {
        return {
          messages: [
            {
              role: "user",
              content: { type: "text", text: `Use this context: ${answer.context}` },
            },
          ],
        };
      }
      return inputRequired({
        inputRequests: {
          user_context: ask("What context should the prompt use?", "context", { type: "string" }),
        },
      });
    },
  );
}
