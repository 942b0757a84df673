import type { SessionStorage } from "@vmcp/session-core";
import { digestRequestArguments } from "./request-args-digest.js";
import {
  type RequestStateMethod,
  type RequestStateOptions,
  type RequestStateBinding as SealedBinding,
  sealRequestState,
} from "./request-state-codec.js";
import { InvalidRequestStateError } from "./request-state-errors.js";
import { RequestStateKey } from "./request-state-key.js";
import { RequestStateLedger } from "./request-state-ledger.js";
import type {
  OpenedRequestState,
  RequestStateBinding,
  RequestStatePort,
  RequestStateRoute,
} from "./request-state-port.js";
import { redeemRequestState } from "./request-state-redeem.js";

/** What {@link SealedRequestStates} is built from. */
export interface SealedRequestStatesOptions extends RequestStateOptions {
  /** The store every replica shares: single use is enforced there. */
  readonly storage: SessionStorage;
  /**
   * The binding secret every replica shares (the identity binding's). Default: 32 random bytes,
   * so that a state opens only on the replica that sealed it.
   */
  readonly secret?: string | Uint8Array;
  /** The clock, epoch ms. Default `Date.now`. */
  readonly now?: () => number;
}

const methods: ReadonlySet<string> = new Set(["tools/call", "prompts/get", "resources/read"]);

/**
 * The gateway's `requestState` for MCP 2026-07-28 rounds, as the modern relay asks for it
 * (`RequestStatePort`): sealed with a key derived from the binding secret, bound to the caller,
 * the method, the name or URI the client asked for and a digest of its arguments, expiring after
 * `ttlMs` (default 10 minutes), and single-use across replicas through the store's
 * create-if-absent. A refused state is an `InvalidRequestStateError` (answered -32602 with
 * `data.reason` `invalid_request_state`); a store that cannot be reached is its typed
 * unavailability error, unchanged.
 */
export class SealedRequestStates implements RequestStatePort {
  readonly #key: RequestStateKey;
  readonly #ledger: RequestStateLedger;
  readonly #now: () => number;
  readonly #limits: RequestStateOptions;

  constructor(options: SealedRequestStatesOptions) {
    const { storage, secret, now, ...limits } = options;
    this.#key = new RequestStateKey(secret);
    this.#ledger = new RequestStateLedger(storage, this.#key);
    this.#now = now ?? Date.now;
    this.#limits = limits;
  }

  seal(route: RequestStateRoute, backendState: string | undefined, binding: RequestStateBinding) {
    return sealRequestState(
      {
        binding: sealedBinding(binding),
        route: {
          workloadId: route.workloadId,
          target: route.target,
          ...(route.parked === undefined ? {} : { parked: route.parked }),
        },
        ...(backendState === undefined ? {} : { backendState }),
      },
      this.#key,
      this.#now(),
      this.#limits,
    );
  }

  async open(token: string, binding: RequestStateBinding): Promise<OpenedRequestState> {
    const opened = await redeemRequestState(
      token,
      this.#key,
      this.#ledger,
      sealedBinding(binding),
      this.#now(),
      this.#limits,
    );
    const { workloadId, target, parked } = opened.route;
    // Every state this class seals names its target; one without was sealed elsewhere.
    if (target === undefined) throw new InvalidRequestStateError("malformed", "it names no target");
    return {
      route: { workloadId, target, ...(parked === undefined ? {} : { parked }) },
      ...(opened.backendState === undefined ? {} : { backendState: opened.backendState }),
    };
  }
}

/** The codec's binding of a relay's: the arguments digested, the method one that may answer `input_required`. */
function sealedBinding(binding: RequestStateBinding): SealedBinding {
  if (!methods.has(binding.method)) {
    throw new InvalidRequestStateError(
      "bind",
      "only tools/call, prompts/get and resources/read take a requestState",
    );
  }
  return {
    owner: binding.owner,
    method: binding.method as RequestStateMethod,
    target: binding.name,
    argsDigest: digestRequestArguments({ arguments: binding.args }),
  };
}
