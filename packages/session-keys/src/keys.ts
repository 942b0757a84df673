/**
 * The metadata keys a vMCP session writes. Every key lives in the `vmcp.` namespace so that it
 * never collides with keys a transport or an application keeps in the same record.
 */

/** The namespace every vMCP metadata key starts with. */
export const MetadataKeyNamespace = "vmcp.";

/**
 * The workload IDs of the backends the session is connected to: sorted, comma-separated
 * (see {@link encodeBackendIds}). Written only when at least one backend connected.
 */
export const MetadataKeyBackendIds = "vmcp.backend.ids";

/**
 * The key prefix for per-backend session IDs. The full key is the prefix followed by the
 * workload ID (see {@link backendSessionKey}); the value is that backend's own session ID,
 * which may be empty for a backend that runs without sessions.
 */
export const MetadataKeyBackendSessionPrefix = "vmcp.backend.session.";

/**
 * The key prefix for the MCP protocol version negotiated with each backend, so a replica that
 * reattaches to the backend session can speak the same version without a new `initialize`.
 */
export const MetadataKeyBackendProtocolPrefix = "vmcp.backend.protocol.";

/**
 * The key prefix for each backend's server capabilities (JSON) as reported at `initialize`,
 * kept so a reattached client knows what the backend offers.
 */
export const MetadataKeyBackendCapabilitiesPrefix = "vmcp.backend.capabilities.";

/**
 * The key prefix for each backend's `instructions` as sent at `initialize` (the text itself, not
 * JSON), kept so a replica that reattaches without `initialize` reports the same instructions.
 * Written only when the backend sent some; absent otherwise.
 */
export const MetadataKeyBackendInstructionsPrefix = "vmcp.backend.instructions.";

/** The issuer of the identity that owns the session (for example a JWT `iss`). */
export const MetadataKeyIdentityIssuer = "vmcp.identity.issuer";

/** The subject of the identity that owns the session (for example a JWT `sub`). */
export const MetadataKeyIdentitySubject = "vmcp.identity.subject";

/**
 * A keyed hash binding the session to its owner's identity (issuer and subject). Compared in
 * constant time on every request; never a raw token.
 */
export const MetadataKeyIdentityBinding = "vmcp.identity.binding";

/** The MCP protocol version the client negotiated with the gateway at `initialize`. */
export const MetadataKeyClientProtocolVersion = "vmcp.client.protocol_version";

/** The client's capabilities (JSON) as sent at `initialize`. */
export const MetadataKeyClientCapabilities = "vmcp.client.capabilities";

/** The client's implementation info (JSON: name and version) as sent at `initialize`. */
export const MetadataKeyClientInfo = "vmcp.client.info";

/**
 * What a stored record is, for records that are not client sessions (for example `request-state`,
 * see {@link RecordKind}). Absent on client sessions, so every record written before it existed
 * still reads as a session. Tools that walk the store (the sessions CLI) tell records apart by it.
 */
export const MetadataKeyRecordKind = "vmcp.kind";

/**
 * A backend's protocol era verdict (JSON), kept by the gateway in a record of its own per backend
 * origin and authorization context, not in a client session: `{"kind":"modern","discover":{...}}`
 * (its `server/discover` result, MCP 2026-07-28) or `{"kind":"legacy"}` (2025-era `initialize`
 * only), with `storedAt` (epoch ms). The record carries an `expiresAt`, so a stale verdict goes.
 */
export const MetadataKeyBackendEra = "vmcp.backend.era";

/**
 * Marks a pooled backend session: a session record the gateway keeps per caller (identity and the
 * client capabilities its requests declare) so that clients without protocol sessions (MCP
 * 2026-07-28) reach 2025-era backends, which still need `initialize` and a session ID. The value
 * is the protocol revision of the clients it serves (`2026-07-28`). Absent on sessions a client
 * holds itself. A pooled backend session is a session (restored, bound and expired like any), so
 * it carries no `vmcp.kind`.
 */
export const MetadataKeySessionPool = "vmcp.session.pool";
