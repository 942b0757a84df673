import { InputRoundsExceededError } from "./input-errors.js";
import type { RelayedResult } from "./stateless-call.js";

/** Default bound on the `input_required` rounds of one call a 2025-era session makes: 8. */
export const DefaultMaxInputRounds = 8;

/** One `input_required` answer: what the backend asks for, and the state it wants back. */
export interface InputRound {
  /** The backend's input requests by key (`{ method, params }` each); may be empty. */
  readonly inputRequests: Readonly<Record<string, unknown>>;
  /** The backend's `requestState`, echoed byte for byte on the retry; absent when it gave none. */
  readonly requestState?: string;
}

/** What {@link runInputRounds} works with. */
export interface InputRoundsOptions {
  readonly workloadId: string;
  readonly method: string;
  /** The call's params (without `inputResponses` and `requestState`). */
  readonly params: Readonly<Record<string, unknown>>;
  /** Rounds served before the call fails with {@link InputRoundsExceededError}. */
  readonly maxRounds: number;
  /** Sends the call (or a retry) to the backend. */
  send(params: Readonly<Record<string, unknown>>): Promise<RelayedResult>;
  /** Answers one round's input requests, by key. */
  fulfil(round: InputRound): Promise<Record<string, unknown>>;
}

/**
 * Serves a call whose backend may answer `input_required` (MCP 2026-07-28 multi-round-trip
 * requests): each round's input requests are fulfilled (`fulfil`), then the call is sent again
 * with the answers as `inputResponses` and the backend's `requestState` unchanged, until the
 * backend gives a complete result. A round without input requests (a `requestState` alone) is
 * retried at once with the state. At most `maxRounds` rounds.
 * @throws {InputRoundsExceededError} past `maxRounds`; whatever `send` or `fulfil` throw.
 */
export async function runInputRounds(options: InputRoundsOptions): Promise<RelayedResult> {
  let result = await options.send(options.params);
  for (let round = 1; ; round++) {
    const asked = inputRoundOf(result);
    if (asked === undefined) return result;
    if (round > options.maxRounds) {
      throw new InputRoundsExceededError(options.workloadId, options.method, options.maxRounds);
    }
    const responses =
      Object.keys(asked.inputRequests).length === 0 ? undefined : await options.fulfil(asked);
    result = await options.send({
      ...options.params,
      ...(responses === undefined ? {} : { inputResponses: responses }),
      ...(asked.requestState === undefined ? {} : { requestState: asked.requestState }),
    });
  }
}

/** The round `result` asks for, or `undefined` for a complete result. */
export function inputRoundOf(result: RelayedResult): InputRound | undefined {
  if (result.resultType !== "input_required") return undefined;
  const requests = result.inputRequests;
  const state = result.requestState;
  return {
    inputRequests:
      typeof requests === "object" && requests !== null && !Array.isArray(requests)
        ? (requests as Record<string, unknown>)
        : {},
    ...(typeof state === "string" ? { requestState: state } : {}),
  };
}
