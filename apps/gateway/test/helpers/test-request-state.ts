import { randomUUID } from "node:crypto";
import {
  InvalidRequestStateError,
  type OpenedRequestState,
  type RequestStateBinding,
  type RequestStatePort,
} from "../../dist/modern/request-state-port.js";

/** A {@link RequestStatePort} for tests, and what it was asked. */
export interface TestRequestState extends RequestStatePort {
  /** Every sealed round: the route, the backend's state and the binding. */
  readonly sealed: {
    route: OpenedRequestState["route"];
    backendState?: string;
    binding: RequestStateBinding;
  }[];
}

/**
 * A stand-in for the gateway's `requestState` sealing until it lands: tokens are random IDs of an
 * in-memory table (one process), bound to the binding's JSON and usable once. It keeps the
 * contract the relay relies on: a token opens to the sealed route and backend state for the same
 * binding, once, and anything else throws `InvalidRequestStateError`.
 */
export function testRequestState(): TestRequestState {
  const tokens = new Map<string, { opened: OpenedRequestState; binding: string }>();
  const sealed: TestRequestState["sealed"] = [];
  return {
    sealed,
    seal(route, backendState, binding) {
      const token = `rs.${randomUUID()}`;
      sealed.push({ route, ...(backendState === undefined ? {} : { backendState }), binding });
      tokens.set(token, {
        opened: { route, ...(backendState === undefined ? {} : { backendState }) },
        binding: JSON.stringify(binding),
      });
      return token;
    },
    open(token, binding) {
      const entry = tokens.get(token);
      if (entry === undefined) throw new InvalidRequestStateError("unknown or used token");
      if (entry.binding !== JSON.stringify(binding)) {
        throw new InvalidRequestStateError("bound to another request or caller");
      }
      tokens.delete(token);
      return entry.opened;
    },
  };
}
