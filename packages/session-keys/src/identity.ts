import { readKeyGroup } from "./key-group.js";
import {
  MetadataKeyIdentityBinding,
  MetadataKeyIdentityIssuer,
  MetadataKeyIdentitySubject,
} from "./keys.js";

/** The identity a session is bound to, as the `vmcp.identity.*` keys hold it. */
export interface StoredIdentity {
  /** The owner's issuer (`vmcp.identity.issuer`). */
  readonly issuer: string;
  /** The owner's subject at that issuer (`vmcp.identity.subject`). */
  readonly subject: string;
  /** The keyed hash binding the session to issuer and subject (`vmcp.identity.binding`); never a token. */
  readonly binding: string;
}

const IdentityKeys = [
  MetadataKeyIdentityIssuer,
  MetadataKeyIdentitySubject,
  MetadataKeyIdentityBinding,
] as const;

/** The `vmcp.identity.*` metadata for `identity`. */
export function encodeIdentity(identity: StoredIdentity): Record<string, string> {
  return {
    [MetadataKeyIdentityIssuer]: identity.issuer,
    [MetadataKeyIdentitySubject]: identity.subject,
    [MetadataKeyIdentityBinding]: identity.binding,
  };
}

/**
 * Reads the identity a session is bound to; `undefined` for an open session (none of the three
 * `vmcp.identity.*` keys stored).
 * @throws {InvalidMetadataValueError} when only some of the keys are stored.
 */
export function decodeIdentity(
  metadata: Readonly<Record<string, string>>,
): StoredIdentity | undefined {
  const values = readKeyGroup(metadata, IdentityKeys, "identity");
  if (values === undefined) return undefined;
  const [issuer, subject, binding] = values;
  return { issuer, subject, binding };
}
