import { randomUUID } from "node:crypto";
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { waitUntil } from "@vmcp/test-support";
import { expect } from "vitest";
import {
  expectedEverything,
  expectedEverythingAnswers,
  type RecordingClient,
  type StreamingBackend,
  type StreamingHttpBackend,
  waitForEvent,
} from "./streaming-backends.js";

/** Bound on one tool call of these checks, ms (a starved machine included). */
export const CallTimeoutMs = 20_000;

/** A unique key for one tool call's events. */
export function newKey(label: string): string {
  return `${label}-${randomUUID().slice(0, 8)}`;
}

function resultText(result: object): string {
  const content = ("content" in result ? result.content : []) as Array<{ text?: string }>;
  return content.map((c) => c.text ?? "").join("");
}

/** Waits until `check` holds; on timeout fails with `what` and what the client received. */
export async function waitForReceived(
  rc: RecordingClient,
  what: string,
  check: (received: readonly string[]) => boolean,
  timeoutMs = 10_000,
): Promise<void> {
  try {
    await waitUntil(() => check(rc.received), timeoutMs, what, 25);
  } catch {
    throw new Error(
      `${what}: not received within ${timeoutMs} ms; the client received: ${JSON.stringify(rc.received)}`,
    );
  }
}

/**
 * Calls `everything` (exposed as `tool`) of backend `tag`, and expects the client to receive
 * every progress, log, sampling, elicitation (form and URL) and roots request, in the order a
 * direct client receives them, and the backend to get every answer.
 */
export async function checkEverything(rc: RecordingClient, tool: string, tag: string) {
  const key = "k1";
  const before = rc.received.length;
  const result = await rc.client.callTool(
    { name: tool, arguments: { key } },
    CallToolResultSchema,
    { timeout: CallTimeoutMs, onprogress: rc.onprogress },
  );
  expect(result.isError, `${tool} failed: ${resultText(result)}`).not.toBe(true);
  expect(rc.received.slice(before), `the server-to-client messages of ${tool}, in order`).toEqual(
    expectedEverything(tag, key),
  );
  let answers: unknown = resultText(result);
  try {
    answers = JSON.parse(resultText(result));
  } catch {
    // keep the text: the comparison below shows it
  }
  expect(answers, `the answers ${tag} got back from the client`).toEqual(
    expectedEverythingAnswers(tag),
  );
}

/**
 * Calls `wait-cancel` (exposed as `tool`), cancels it once the backend runs it, and expects the
 * backend's tool to observe its abort signal, and the client's call to end.
 */
export async function checkCancellation(
  rc: RecordingClient,
  tool: string,
  backend: StreamingBackend,
) {
  const key = newKey("cancel");
  const controller = new AbortController();
  const call = rc.client.callTool({ name: tool, arguments: { key } }, CallToolResultSchema, {
    timeout: CallTimeoutMs,
    signal: controller.signal,
  });
  const settled = call.then(
    () => "resolved",
    (error: unknown) => `rejected: ${String(error)}`,
  );
  // The call may start a backend process on its replica first (a stdio backend, a session
  // restored there): wait as long as the call may take, and name the call's outcome if it ends
  // before the backend saw it.
  const started = waitForEvent(backend, "wait-started", key, CallTimeoutMs);
  const early = await Promise.race([started.then(() => undefined), settled]);
  expect(early, "the call reached the backend's tool before it settled").toBeUndefined();
  controller.abort("the test cancels");
  const aborted = await waitForEvent(backend, "wait-aborted", key);
  expect(aborted.kind).toBe("wait-aborted");
  expect(await settled, "the cancelled call rejects at the client").toMatch(/^rejected/);
  expect(
    backend.events().some((e) => e.key === key && e.kind === "wait-timeout"),
    "the backend's tool ran to its bound instead of being aborted",
  ).toBe(false);
}

/** Waits until the client's standalone GET stream is open (HTTP targets). */
export async function waitForGetStream(rc: RecordingClient, timeoutMs = 10_000): Promise<void> {
  try {
    await waitUntil(() => rc.getStreamOpen(), timeoutMs, "GET stream", 25);
  } catch {
    const gets = rc.exchanges.filter((e) => e.httpMethod === "GET");
    throw new Error(
      `the client's GET /mcp stream never opened within ${timeoutMs} ms (its GETs: ${JSON.stringify(gets)})`,
    );
  }
}

/**
 * Calls `change-lists` (exposed as `tool`) of backend `tag`, expects the client to receive
 * `tools/`, `prompts/` and `resources/list_changed` (at least once each: a gateway may coalesce)
 * and the lists it asks for next to hold what was added (`exposed` maps a backend name to the
 * name the client sees).
 */
export async function checkListChanged(
  rc: RecordingClient,
  tool: string,
  tag: string,
  options: { exposed?: (name: string) => string; checkLists?: boolean } = {},
) {
  const before = rc.received.length;
  const result = await rc.client.callTool(
    { name: tool, arguments: { key: newKey("lists") } },
    CallToolResultSchema,
    { timeout: CallTimeoutMs },
  );
  const added = resultText(result);
  expect(added, `${tool} answers the name it added`).toMatch(new RegExp(`^${tag}-extra-\\d+$`));
  for (const kind of ["tools", "prompts", "resources"]) {
    await waitForReceived(rc, `notifications/${kind}/list_changed after ${tool}`, (r) =>
      r.slice(before).includes(`${kind}/list_changed`),
    );
  }
  if (options.checkLists === false) return;
  const exposed = options.exposed ?? ((name: string) => name);
  const tools = await rc.client.listTools();
  expect(
    tools.tools.map((t) => t.name),
    "tools/list after list_changed holds the added tool",
  ).toContain(exposed(added));
  const prompts = await rc.client.listPrompts();
  expect(
    prompts.prompts.map((p) => p.name),
    "prompts/list after list_changed holds the added prompt",
  ).toContain(exposed(added));
  const resources = await rc.client.listResources();
  const number = added.slice(added.lastIndexOf("-") + 1);
  expect(
    resources.resources.map((r) => r.uri),
    "resources/list after list_changed holds the added resource",
  ).toContain(`stream://${tag}/extra/${number}`);
}

/**
 * Subscribes to `stream://<tag>/counter`, calls `touch` (exposed as `tool`) and expects the
 * client to receive `notifications/resources/updated` for that URI.
 */
export async function checkResourceUpdated(rc: RecordingClient, tool: string, tag: string) {
  const uri = `stream://${tag}/counter`;
  await rc.client.subscribeResource({ uri });
  const before = rc.received.length;
  await rc.client.callTool({ name: tool, arguments: { uri } }, CallToolResultSchema, {
    timeout: CallTimeoutMs,
  });
  await waitForReceived(rc, `notifications/resources/updated for ${uri}`, (r) =>
    r.slice(before).includes(`updated:${uri}`),
  );
}

/** How one row reaches a streaming backend. */
export interface Target {
  readonly backend: StreamingBackend;
  /** The name the client calls for the backend's tool `name`. */
  tool(name: string): string;
  /** Connects a recording client. */
  open(): Promise<RecordingClient>;
  /** Resolves once unsolicited notifications can flow to `rc` (every GET stream open). */
  ready(rc: RecordingClient): Promise<void>;
}

/** Waits until the HTTP backend holds a GET stream for a session it did not hold before. */
export async function newBackendSessionStreaming(
  http: StreamingHttpBackend,
  before: ReadonlySet<string>,
): Promise<void> {
  try {
    await waitUntil(
      () =>
        http.backend.sessionIds.some(
          (id) => !before.has(id) && http.backend.openGetStreams.has(id),
        ),
      10_000,
      "backend GET stream",
      25,
    );
  } catch {
    throw new Error(
      `backend ${http.tag} never got a GET /mcp stream for the new session within 10000 ms (so it cannot send list_changed or resources/updated)`,
    );
  }
}
