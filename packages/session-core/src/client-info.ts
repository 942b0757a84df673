import type { ClientCapabilities, Implementation } from "@modelcontextprotocol/sdk/types.js";
import {
  MetadataKeyClientCapabilities,
  MetadataKeyClientInfo,
  MetadataKeyClientProtocolVersion,
} from "@vmcp/session-keys";
import type { SessionMetadata } from "./session-record.js";

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

/** The `vmcp.client.*` metadata for `client`. */
export function clientInfoMetadata(client: ClientInfoRecord): SessionMetadata {
  return {
    [MetadataKeyClientProtocolVersion]: client.protocolVersion,
    [MetadataKeyClientCapabilities]: JSON.stringify(client.capabilities),
    [MetadataKeyClientInfo]: JSON.stringify(client.clientInfo),
  };
}

/** Reads the client info back from metadata; `undefined` when absent or not decodable. */
export function readClientInfo(metadata: Readonly<SessionMetadata>): ClientInfoRecord | undefined {
  const protocolVersion = metadata[MetadataKeyClientProtocolVersion];
  const capabilities = parseObject(metadata[MetadataKeyClientCapabilities]);
  const clientInfo = parseObject(metadata[MetadataKeyClientInfo]);
  if (protocolVersion === undefined || capabilities === undefined || clientInfo === undefined) {
    return undefined;
  }
  if (typeof clientInfo.name !== "string" || typeof clientInfo.version !== "string") {
    return undefined;
  }
  return {
    protocolVersion,
    capabilities: capabilities as ClientCapabilities,
    clientInfo: clientInfo as Implementation,
  };
}

function parseObject(value: string | undefined): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
