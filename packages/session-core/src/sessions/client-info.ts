import type { ClientCapabilities, Implementation } from "@modelcontextprotocol/sdk/types.js";
import { decodeClientInfo, encodeClientInfo, InvalidMetadataValueError } from "@vmcp/session-keys";
import type { SessionMetadata } from "../storage/session-record.js";

/**
 * What the client sent the gateway at `initialize`, kept in the session record so that any
 * replica can serve the session without having seen `initialize`.
 */
export interface ClientInfoRecord {
  /** The protocol version negotiated with the client. */
  readonly protocolVersion: string;
  /** The client's capabilities. */
  readonly capabilities: ClientCapabilities;
  /** The client's name and version. */
  readonly clientInfo: Implementation;
}

/** The `vmcp.client.*` metadata for `client` (encoded by `encodeClientInfo` of `@vmcp/session-keys`). */
export function clientInfoMetadata(client: ClientInfoRecord): SessionMetadata {
  return encodeClientInfo(client);
}

/**
 * Reads the client info back from metadata (decoded by `decodeClientInfo` of
 * `@vmcp/session-keys`); `undefined` when absent or not decodable: a session whose stored client
 * info is damaged is still served, as for a client that sent none.
 */
export function readClientInfo(metadata: Readonly<SessionMetadata>): ClientInfoRecord | undefined {
  try {
    const stored = decodeClientInfo(metadata);
    if (stored === undefined) return undefined;
    return {
      protocolVersion: stored.protocolVersion,
      capabilities: stored.capabilities as ClientCapabilities,
      clientInfo: stored.clientInfo as Implementation,
    };
  } catch (error) {
    if (error instanceof InvalidMetadataValueError) return undefined;
    throw error;
  }
}
