import type { ClientCapabilities, Implementation } from "@modelcontextprotocol/sdk/types.js";
import { decodeClientInfo, encodeClientInfo, InvalidMetadataValueError } from "@vmcp/session-keys";
import { InvalidSessionInputError } from "../storage/errors.js";
import type { SessionMetadata } from "../storage/session-record.js";

/**
 * What the client sent the gateway at `initialize`, kept in the session record so that any
 * replica can serve the session without having seen `initialize`: the `params` of its
 * `initialize` request, e.g.
 * `{ protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "my-client", version: "1.0.0" } }`.
 */
export interface ClientInfoRecord {
  /** The protocol version negotiated with the client. */
  readonly protocolVersion: string;
  /** The client's capabilities. */
  readonly capabilities: ClientCapabilities;
  /** The client's name and version. */
  readonly clientInfo: Implementation;
}

/** The shape {@link ClientInfoRecord} must have, as error messages show it. */
const ClientInfoShape =
  "{ protocolVersion: string, capabilities: object, clientInfo: { name: string, version: string } }";

/**
 * Checks that `client` has the shape of a {@link ClientInfoRecord} (a caller without types may
 * pass anything): a non-empty `protocolVersion` string, a `capabilities` object and a
 * `clientInfo` object with string `name` and `version`.
 * @throws {InvalidSessionInputError} naming the first field that is missing or of the wrong type.
 */
export function checkClientInfo(client: unknown): asserts client is ClientInfoRecord {
  const problem = clientInfoProblem(client);
  if (problem !== undefined) {
    throw new InvalidSessionInputError(
      `the client info must be ${ClientInfoShape} (the params of the client's initialize request): ${problem}`,
    );
  }
}

function clientInfoProblem(client: unknown): string | undefined {
  if (!isObject(client)) return `got ${describeValue(client)}`;
  if (typeof client.protocolVersion !== "string" || client.protocolVersion === "") {
    return `protocolVersion is ${describeValue(client.protocolVersion)}`;
  }
  if (!isObject(client.capabilities))
    return `capabilities is ${describeValue(client.capabilities)}`;
  const info = client.clientInfo;
  if (!isObject(info)) return `clientInfo is ${describeValue(info)}`;
  for (const field of ["name", "version"] as const) {
    if (typeof info[field] !== "string")
      return `clientInfo.${field} is ${describeValue(info[field])}`;
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describeValue(value: unknown): string {
  if (value === undefined) return "missing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return value === "" ? "an empty string" : "a string";
  return `a ${typeof value}`;
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
