import type { SessionStorage } from "@vmcp/session-core";
import { MemoryStorage } from "@vmcp/store-memory";
import type {
  OpenedRequestState,
  RequestStateBinding,
  RequestStatePort,
} from "../../dist/http/mcp-2026-07-28/request-state/request-state-port.js";
import { SealedRequestStates } from "../../dist/http/mcp-2026-07-28/request-state/sealed-request-states.js";

/** What the gateways of one test sealed, and a port for each gateway that records into it. */
export interface RecordingRequestStates {
  /** Every sealed round, on any gateway: the route, the backend's state and the binding. */
  readonly sealed: {
    route: OpenedRequestState["route"];
    backendState?: string;
    binding: RequestStateBinding;
  }[];
  /**
   * A port for one gateway: the gateway's own `SealedRequestStates` (real HMAC sealing, single
   * use in `storage`), recording each `seal` into {@link sealed}.
   */
  port(): RequestStatePort;
}

/**
 * The gateway's real `requestState` sealing, watched: every gateway given a {@link port} of the
 * same `storage` and `secret` opens the others' states once, as replicas do.
 * @param storage where single use is enforced; default: a memory store of this helper's own.
 */
export function recordingRequestStates(
  secret?: string,
  storage: SessionStorage = new MemoryStorage(),
): RecordingRequestStates {
  const sealed: RecordingRequestStates["sealed"] = [];
  return {
    sealed,
    port() {
      const inner = new SealedRequestStates({
        storage,
        ...(secret === undefined ? {} : { secret }),
      });
      return {
        seal(route, backendState, binding) {
          sealed.push({ route, ...(backendState === undefined ? {} : { backendState }), binding });
          return inner.seal(route, backendState, binding);
        },
        open: (token, binding) => inner.open(token, binding),
      };
    },
  };
}
