import {
  MultiSessionFactory,
  SessionManager,
  type SessionManagerOptions,
  type SessionStorage,
} from "@vmcp/session-core";
import { type FakeConnector, targets } from "./test-connector.js";

/**
 * A `SessionManager` over `storage` whose factory connects the backends `backendIds` through
 * `connector`, with any further manager options (none by default: the package defaults).
 */
export function managerOver(
  storage: SessionStorage,
  connector: FakeConnector,
  backendIds: readonly string[],
  options: Omit<SessionManagerOptions, "storage" | "factory"> = {},
): SessionManager {
  return new SessionManager({
    storage,
    factory: new MultiSessionFactory({ backends: targets(...backendIds), connector }),
    ...options,
  });
}
