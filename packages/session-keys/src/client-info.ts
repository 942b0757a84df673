import { decodeJsonObject, encodeJsonObject, type JsonObject } from "./json-object.js";
import { readKeyGroup } from "./key-group.js";
import {
  MetadataKeyClientCapabilities,
  MetadataKeyClientInfo,
  MetadataKeyClientProtocolVersion,
} from "./keys.js";
import { InvalidMetadataValueError } from "./value-errors.js";

/** The client's implementation info as stored: a name and a version, and any other fields it sent. */
export type StoredImplementation = JsonObject & { readonly name: string; readonly version: string };

/** What the client sent the gateway at `initialize`, as the `vmcp.client.*` keys hold it. */
export interface StoredClientInfo {
  /** The protocol version negotiated with the client (`vmcp.client.protocol_version`). */
  readonly protocolVersion: string;
  /** The client's capabilities (`vmcp.client.capabilities`, JSON). */
  readonly capabilities: JsonObject;
  /** The client's name and version (`vmcp.client.info`, JSON). */
  readonly clientInfo: StoredImplementation;
}

/**
 * The `vmcp.client.*` metadata for `client`: the protocol version as is, capabilities and client
 * info as JSON.
 * @throws {InvalidMetadataValueError} when a value cannot be written as JSON.
 */
export function encodeClientInfo(client: StoredClientInfo): Record<string, string> {
  return {
    [MetadataKeyClientProtocolVersion]: client.protocolVersion,
    [MetadataKeyClientCapabilities]: encodeJsonObject(
      MetadataKeyClientCapabilities,
      client.capabilities,
    ),
    [MetadataKeyClientInfo]: encodeJsonObject(MetadataKeyClientInfo, client.clientInfo),
  };
}

const ClientKeys = [
  MetadataKeyClientProtocolVersion,
  MetadataKeyClientCapabilities,
  MetadataKeyClientInfo,
] as const;

/**
 * Reads the client info back; `undefined` when none of the three `vmcp.client.*` keys is stored.
 * @throws {InvalidMetadataValueError} when only some of the keys are stored, a JSON value is not
 *   an object, or the client info lacks a string `name` or `version`.
 */
export function decodeClientInfo(
  metadata: Readonly<Record<string, string>>,
): StoredClientInfo | undefined {
  const values = readKeyGroup(metadata, ClientKeys, "client");
  if (values === undefined) return undefined;
  const [protocolVersion, capabilities, info] = values;
  const clientInfo = decodeJsonObject(MetadataKeyClientInfo, info);
  for (const field of ["name", "version"] as const) {
    if (typeof clientInfo[field] !== "string") {
      throw new InvalidMetadataValueError(
        MetadataKeyClientInfo,
        info,
        `its ${field} is not a string`,
      );
    }
  }
  return {
    protocolVersion,
    capabilities: decodeJsonObject(MetadataKeyClientCapabilities, capabilities),
    clientInfo: clientInfo as StoredImplementation,
  };
}
