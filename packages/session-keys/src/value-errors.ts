import { KeyErrorCode, VmcpSessionError } from "./errors.js";

/**
 * Thrown when a stored `vmcp.*` metadata value cannot be decoded: a JSON value that does not
 * parse or is not an object, a required field that is missing or of the wrong type, or one key
 * of a group (client info, identity) present without the others.
 */
export class InvalidMetadataValueError extends VmcpSessionError {
  readonly code = KeyErrorCode.InvalidMetadataValue;
  /** The metadata key whose value (or absence) is refused. */
  readonly key: string;
  /** The refused value exactly as stored; `undefined` when the key is missing. */
  readonly value: string | undefined;

  constructor(key: string, value: string | undefined, reason: string, options?: ErrorOptions) {
    super(`invalid metadata value for ${key}: ${reason}`, options);
    this.key = key;
    this.value = value;
  }
}
