import type { ClientCapabilities } from "@modelcontextprotocol/sdk/types.js";
import type { BackendMessageHandler, BackendMessageOrigin } from "@vmcp/session-core";
import { ErrorCode, errorCodeOf } from "../../error-codes.js";
import { InputCapabilityMissingError, InputRequestFailedError } from "./input-errors.js";
import type { InputRound } from "./input-rounds.js";

/** What fulfilling one round needs: who asks, on whose behalf, and the client's relay. */
export interface InputFulfilment {
  /** The client session and the backend that asks (named in each relayed request). */
  readonly origin: BackendMessageOrigin;
  /** The capabilities the client declared at `initialize`; `undefined`: none. */
  readonly capabilities: ClientCapabilities | undefined;
  /** The relay of server-to-client requests to the session's client, on any replica. */
  readonly messages: BackendMessageHandler;
  /** The call's signal: aborting it cancels the requests still waiting. */
  readonly signal: AbortSignal;
}

/** One input request, checked. */
interface InputRequest {
  readonly key: string;
  readonly method: string;
  readonly params: Record<string, unknown> | undefined;
}

/**
 * Answers one round of a modern backend's input requests with real server-to-client requests on
 * the client's session (`messages.request`: sent on the client's request stream or GET stream,
 * answered from any replica), all at once, and resolves the answers by key. Before the client is
 * asked anything, every request is checked against the capabilities the client declared; one
 * request that fails cancels the others still waiting.
 * @throws {InputCapabilityMissingError} for a kind the client did not declare.
 * @throws {InputRequestFailedError} for an entry that is no input request, or a request the
 *   client answered with an error or that the relay could not get answered (its code then).
 */
export async function fulfilInputRequests(
  round: InputRound,
  fulfilment: InputFulfilment,
): Promise<Record<string, unknown>> {
  const { workloadId } = fulfilment.origin;
  const requests = Object.entries(round.inputRequests).map(([key, entry]) =>
    checkedRequest(workloadId, key, entry),
  );
  for (const request of requests) {
    const missing = missingCapability(workloadId, request, fulfilment.capabilities);
    if (missing !== undefined) {
      throw new InputCapabilityMissingError(workloadId, request.key, request.method, missing);
    }
  }
  const roundAbort = new AbortController();
  const cancel = () => roundAbort.abort(fulfilment.signal.reason);
  if (fulfilment.signal.aborted) cancel();
  else fulfilment.signal.addEventListener("abort", cancel, { once: true });
  try {
    const answers = await Promise.all(
      requests.map(async (request) => {
        try {
          const message =
            request.params === undefined
              ? { method: request.method }
              : { method: request.method, params: request.params };
          const answer = await fulfilment.messages.request(
            fulfilment.origin,
            message,
            roundAbort.signal,
          );
          return [request.key, answer] as const;
        } catch (error) {
          roundAbort.abort(error);
          throw failureOf(workloadId, request, error);
        }
      }),
    );
    return Object.fromEntries(answers);
  } finally {
    fulfilment.signal.removeEventListener("abort", cancel);
  }
}

function checkedRequest(workloadId: string, key: string, entry: unknown): InputRequest {
  const e = entry as { method?: unknown; params?: unknown } | null;
  if (typeof e !== "object" || e === null || typeof e.method !== "string") {
    throw new InputRequestFailedError(
      ErrorCode.InputRequestFailed,
      workloadId,
      `backend ${JSON.stringify(workloadId)} sent input request ${JSON.stringify(key)} without a method`,
    );
  }
  const params =
    typeof e.params === "object" && e.params !== null && !Array.isArray(e.params)
      ? (e.params as Record<string, unknown>)
      : undefined;
  return { key, method: e.method, params };
}

/**
 * The capabilities `request` needs that `declared` lacks (in the `ClientCapabilities` shape), or
 * `undefined` when the client declared them: `sampling` (and `sampling.tools` for a request with
 * tools), `elicitation` in the request's mode (`form` by default: an empty `elicitation` object
 * is form, as 2025-11-25 says; `url` only when declared), `roots`.
 * @throws {InputRequestFailedError} for a method that is no input request.
 */
function missingCapability(
  workloadId: string,
  request: InputRequest,
  declared: ClientCapabilities | undefined,
): Record<string, unknown> | undefined {
  const caps = (declared ?? {}) as Record<string, Record<string, unknown> | undefined>;
  switch (request.method) {
    case "sampling/createMessage": {
      if (caps.sampling === undefined) return { sampling: {} };
      const tools = request.params?.tools !== undefined;
      return tools && caps.sampling.tools === undefined ? { sampling: { tools: {} } } : undefined;
    }
    case "elicitation/create": {
      const mode = request.params?.mode === "url" ? "url" : "form";
      const elicitation = caps.elicitation;
      const offered =
        elicitation !== undefined &&
        (mode in elicitation || (mode === "form" && Object.keys(elicitation).length === 0));
      return offered ? undefined : { elicitation: { [mode]: {} } };
    }
    case "roots/list":
      return caps.roots === undefined ? { roots: {} } : undefined;
    default:
      throw new InputRequestFailedError(
        ErrorCode.InputRequestFailed,
        workloadId,
        `backend ${JSON.stringify(workloadId)} sent input request ${JSON.stringify(request.key)} is ${request.method}, not elicitation/create, sampling/createMessage or roots/list`,
      );
  }
}

/**
 * The typed error for a request the relay rejected: its own code when the relay failed (a
 * timeout, no stream, too many, abandoned: `data.code`), else `VMCP_INPUT_REQUEST_FAILED` for the
 * client's own error answer.
 */
function failureOf(workloadId: string, request: InputRequest, error: unknown): Error {
  const e = error as { code?: unknown; message?: unknown; data?: unknown } | null;
  const text = typeof e?.message === "string" ? e.message : String(error);
  const relayCode = errorCodeOf(e?.data);
  const what = `${request.method} (input request ${JSON.stringify(request.key)} of backend ${JSON.stringify(workloadId)})`;
  if (relayCode !== undefined) {
    return new InputRequestFailedError(relayCode, workloadId, `${what}: ${text}`, { cause: error });
  }
  const code = typeof e?.code === "number" ? ` ${e.code}` : "";
  return new InputRequestFailedError(
    ErrorCode.InputRequestFailed,
    workloadId,
    `the client answered ${what} with error${code}: ${text}`,
    { cause: error },
  );
}
