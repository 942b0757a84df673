/**
 * The gateway's side of a modern backend's `input_required` round for a 2025-era session, without
 * a network: which input requests a client's declared capabilities allow (checked before the
 * client is asked anything, for backends that do not check themselves), how the relay's and the
 * client's failures become typed errors, and the bound on rounds.
 */
import type { BackendMessage, BackendMessageHandler } from "@vmcp/session-core";
import { describe, expect, it } from "vitest";
import { fulfilInputRequests } from "../dist/http/stateless-backends/input-fulfilment.js";
import { runInputRounds } from "../dist/http/stateless-backends/input-rounds.js";

const origin = { sessionId: "s-1", workloadId: "modern" };

/** A relay that answers each request with `answer` (or rejects with it), recording what it was asked. */
function relay(answer: (message: BackendMessage, signal: AbortSignal) => Promise<unknown>) {
  const asked: BackendMessage[] = [];
  const handler: BackendMessageHandler = {
    notification: () => undefined,
    request: async (_origin, message, signal) => {
      asked.push(message);
      return (await answer(message, signal)) as Record<string, unknown>;
    },
  };
  return { handler, asked };
}

const elicit = (mode?: "url") => ({
  method: "elicitation/create",
  params: { message: "?", ...(mode === undefined ? {} : { mode, url: "https://x" }) },
});
const sample = (tools?: boolean) => ({
  method: "sampling/createMessage",
  params: { messages: [], maxTokens: 1, ...(tools === true ? { tools: [] } : {}) },
});

async function refusal(call: Promise<unknown>) {
  return call.then(
    () => undefined,
    (error: unknown) => error as { code?: unknown; rpcData?: unknown; message: string },
  );
}

describe("fulfilInputRequests: the client's declared capabilities", () => {
  const cases: [string, Record<string, unknown>, unknown, Record<string, unknown> | undefined][] = [
    ["sampling without sampling", {}, sample(), { sampling: {} }],
    [
      "sampling with tools, sampling declared without tools",
      { sampling: {} },
      sample(true),
      { sampling: { tools: {} } },
    ],
    ["sampling with tools, declared", { sampling: { tools: {} } }, sample(true), undefined],
    [
      "form elicitation, `elicitation: {}` (form, as 2025-11-25 says)",
      { elicitation: {} },
      elicit(),
      undefined,
    ],
    [
      "form elicitation, url only declared",
      { elicitation: { url: {} } },
      elicit(),
      { elicitation: { form: {} } },
    ],
    [
      "url elicitation, form only declared",
      { elicitation: { form: {} } },
      elicit("url"),
      { elicitation: { url: {} } },
    ],
    ["url elicitation, declared", { elicitation: { url: {} } }, elicit("url"), undefined],
    ["roots without roots", { sampling: {} }, { method: "roots/list" }, { roots: {} }],
  ];
  for (const [name, capabilities, request, missing] of cases) {
    it(`${name}: ${missing === undefined ? "relayed" : "refused before the client is asked"}`, async () => {
      const r = relay(async () => ({ ok: true }));
      const outcome = await refusal(
        fulfilInputRequests(
          { inputRequests: { a: request } },
          { origin, capabilities, messages: r.handler, signal: new AbortController().signal },
        ),
      );
      if (missing === undefined) {
        expect(outcome).toBeUndefined();
        expect(r.asked).toHaveLength(1);
      } else {
        expect(outcome?.code).toBe("VMCP_INPUT_CAPABILITY_MISSING");
        expect(outcome?.rpcData).toEqual({ requiredCapabilities: missing });
        expect(r.asked).toEqual([]);
      }
    });
  }

  it("one undeclared request in a round: none of the round's requests reach the client", async () => {
    const r = relay(async () => ({ ok: true }));
    const outcome = await refusal(
      fulfilInputRequests(
        { inputRequests: { a: elicit(), b: sample() } },
        {
          origin,
          capabilities: { elicitation: {} },
          messages: r.handler,
          signal: new AbortController().signal,
        },
      ),
    );
    expect(outcome?.code).toBe("VMCP_INPUT_CAPABILITY_MISSING");
    expect(r.asked).toEqual([]);
  });

  it("an entry that is no input request: VMCP_INPUT_REQUEST_FAILED", async () => {
    const r = relay(async () => ({}));
    for (const entry of [{ method: "tools/list" }, "nonsense", { params: {} }]) {
      const outcome = await refusal(
        fulfilInputRequests(
          { inputRequests: { bad: entry } },
          { origin, capabilities: {}, messages: r.handler, signal: new AbortController().signal },
        ),
      );
      expect(outcome?.code).toBe("VMCP_INPUT_REQUEST_FAILED");
    }
    expect(r.asked).toEqual([]);
  });
});

describe("fulfilInputRequests: answers and failures", () => {
  const all = { sampling: {}, elicitation: {}, roots: {} };

  it("answers each request by its key, the params unchanged", async () => {
    const r = relay(async (message) => ({ echoed: message.method }));
    const answers = await fulfilInputRequests(
      { inputRequests: { a: elicit(), b: { method: "roots/list" } } },
      { origin, capabilities: all, messages: r.handler, signal: new AbortController().signal },
    );
    expect(answers).toEqual({ a: { echoed: "elicitation/create" }, b: { echoed: "roots/list" } });
    expect(r.asked).toEqual([elicit(), { method: "roots/list" }]);
  });

  it("the client's error answer: VMCP_INPUT_REQUEST_FAILED with its text; the other requests of the round are cancelled", async () => {
    const cancelled: string[] = [];
    const r = relay(async (message, signal) => {
      if (message.method === "roots/list") {
        throw Object.assign(new Error("no roots for you"), { code: -32601 });
      }
      await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
      cancelled.push(message.method);
      throw new Error("aborted");
    });
    const outcome = await refusal(
      fulfilInputRequests(
        { inputRequests: { a: elicit(), b: { method: "roots/list" } } },
        { origin, capabilities: all, messages: r.handler, signal: new AbortController().signal },
      ),
    );
    expect(outcome?.code).toBe("VMCP_INPUT_REQUEST_FAILED");
    expect(outcome?.message).toContain("error -32601: no roots for you");
    expect(cancelled).toEqual(["elicitation/create"]);
  });

  it("the relay's own failure keeps its code (a timeout is VMCP_SERVER_REQUEST_TIMEOUT)", async () => {
    const r = relay(async () => {
      throw Object.assign(new Error("the client did not answer elicitation/create within 5 ms"), {
        code: -32603,
        data: { code: "VMCP_SERVER_REQUEST_TIMEOUT" },
      });
    });
    const outcome = await refusal(
      fulfilInputRequests(
        { inputRequests: { a: elicit() } },
        { origin, capabilities: all, messages: r.handler, signal: new AbortController().signal },
      ),
    );
    expect(outcome?.code).toBe("VMCP_SERVER_REQUEST_TIMEOUT");
  });
});

describe("runInputRounds", () => {
  const inputRequired = (state: string) => ({
    resultType: "input_required",
    inputRequests: { k: elicit() },
    requestState: state,
  });

  it("retries with each round's answers and the backend's state, until a complete result", async () => {
    const sent: unknown[] = [];
    const results = [inputRequired("s1"), inputRequired("s2"), { resultType: "complete", ok: 1 }];
    const result = await runInputRounds({
      workloadId: "modern",
      method: "tools/call",
      params: { name: "t" },
      maxRounds: 2,
      send: async (params) => {
        sent.push(params);
        return results.shift() as Record<string, unknown>;
      },
      fulfil: async (round) => ({ k: { answer: round.requestState } }),
    });
    expect(result).toEqual({ resultType: "complete", ok: 1 });
    expect(sent).toEqual([
      { name: "t" },
      { name: "t", inputResponses: { k: { answer: "s1" } }, requestState: "s1" },
      { name: "t", inputResponses: { k: { answer: "s2" } }, requestState: "s2" },
    ]);
  });

  it("a round with a state alone is retried with the state, nothing asked", async () => {
    const sent: unknown[] = [];
    const results = [{ resultType: "input_required", requestState: "busy" }, { ok: 1 }];
    let asked = 0;
    await runInputRounds({
      workloadId: "modern",
      method: "tools/call",
      params: {},
      maxRounds: 1,
      send: async (params) => {
        sent.push(params);
        return results.shift() as Record<string, unknown>;
      },
      fulfil: async () => {
        asked++;
        return {};
      },
    });
    expect(sent).toEqual([{}, { requestState: "busy" }]);
    expect(asked).toBe(0);
  });

  it("past maxRounds: VMCP_INPUT_ROUNDS_EXCEEDED naming the backend, after exactly maxRounds answers", async () => {
    let asked = 0;
    const outcome = await refusal(
      runInputRounds({
        workloadId: "modern",
        method: "tools/call",
        params: {},
        maxRounds: 2,
        send: async () => inputRequired("again"),
        fulfil: async () => {
          asked++;
          return {};
        },
      }),
    );
    expect(outcome?.code).toBe("VMCP_INPUT_ROUNDS_EXCEEDED");
    expect(outcome?.message).toContain('"modern"');
    expect(asked).toBe(2);
  });
});
