import type { SessionManager, SessionMetadata, SessionStorage } from "@vmcp/session-core";

/**
 * Reads a client session's stored metadata; resolves `undefined` when no record is stored. What
 * it answers may be as old as the replica's last `get` of the session (see
 * {@link storedMetadataReader}).
 */
export type StoredMetadataReader = (
  sessionId: string,
) => Promise<Readonly<SessionMetadata> | undefined>;

/**
 * The {@link StoredMetadataReader} that costs no store round trip while the session is live on
 * this replica: the record the manager's last `get` loaded (`SessionManager.storedMetadata`), the
 * very load that began the request being served. Only a session not live here (evicted, closed
 * as idle, or never restored on this replica) is loaded from `storage`.
 */
export function storedMetadataReader(
  manager: Pick<SessionManager, "storedMetadata">,
  storage: Pick<SessionStorage, "load">,
): StoredMetadataReader {
  return async (sessionId) =>
    manager.storedMetadata(sessionId) ?? (await storage.load(sessionId))?.metadata;
}
