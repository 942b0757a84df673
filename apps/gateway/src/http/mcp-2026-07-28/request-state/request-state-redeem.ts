import {
  type OpenedRequestState,
  openRequestState,
  type RequestStateBinding,
  type RequestStateOptions,
} from "./request-state-codec.js";
import { InvalidRequestStateError } from "./request-state-errors.js";
import type { RequestStateKey } from "./request-state-key.js";
import type { RequestStateLedger } from "./request-state-ledger.js";

/**
 * Accepts a retry's `requestState` once: opens it (`openRequestState`: shape, size, MAC, deadline,
 * binding, in that order), then marks its nonce used in the shared ledger. Of two replicas racing
 * with the same state, exactly one resolves; the other is refused `replayed`. Call it before
 * forwarding anything: a state is used up even when what follows fails (the client then starts
 * the request again without a state).
 * @param now the current time, epoch ms.
 * @throws {InvalidRequestStateError} with `reason` `malformed`, `mac`, `expired`, `bind` or
 *   `replayed`: answer it with `refuseRequestState`.
 * @throws {StorageUnavailableError} (or `StorageClosedError`) from the ledger's store, unchanged:
 *   answer it with the gateway's `rpcErrorOf` (-32000).
 */
export async function redeemRequestState(
  state: unknown,
  key: RequestStateKey,
  ledger: RequestStateLedger,
  expected: RequestStateBinding,
  now: number,
  options: RequestStateOptions = {},
): Promise<OpenedRequestState> {
  const opened = openRequestState(state, key, expected, now, options);
  if (!(await ledger.consume(opened.nonce, opened.expiresAt))) {
    throw new InvalidRequestStateError("replayed", "this state was used before");
  }
  return opened;
}
