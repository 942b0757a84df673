import type { SessionMetadata } from "../storage/session-record.js";
import type { ClientInfoRecord } from "./client-info.js";
import { checkClientInfo, clientInfoMetadata } from "./client-info.js";
import { SessionTooLargeError } from "./errors.js";

/** The default bound on what a client sends at `initialize` (as stored), UTF-8 bytes: 16 KiB. */
export const DefaultMaxClientInfoBytes = 16 * 1024;

/** The default bound on one stored metadata value, UTF-8 bytes: 16 KiB. */
export const DefaultMaxMetadataValueBytes = 16 * 1024;

/** The default bound on a new session's whole metadata (keys and values), UTF-8 bytes: 64 KiB. */
export const DefaultMaxMetadataBytes = 64 * 1024;

/** Byte bounds on what one session stores and holds. Every field in UTF-8 bytes. */
export interface SessionSizeLimits {
  /**
   * The client's `initialize` info as stored (protocol version, capabilities JSON and
   * `clientInfo` JSON, summed).
   * @default 16_384 (16 KiB)
   */
  readonly maxClientInfoBytes?: number;
  /**
   * Any one metadata value.
   * @default 16_384 (16 KiB)
   */
  readonly maxMetadataValueBytes?: number;
  /**
   * All keys and values of a new session's metadata.
   * @default 65_536 (64 KiB)
   */
  readonly maxMetadataBytes?: number;
}

/** {@link SessionSizeLimits} with every default applied and checked. */
export interface ResolvedSizeLimits {
  readonly maxClientInfoBytes: number;
  readonly maxMetadataValueBytes: number;
  readonly maxMetadataBytes: number;
}

/**
 * Applies the defaults.
 * @throws {RangeError} for a bound that is not a positive integer.
 */
export function resolveSizeLimits(limits: SessionSizeLimits = {}): ResolvedSizeLimits {
  const resolved = {
    maxClientInfoBytes: limits.maxClientInfoBytes ?? DefaultMaxClientInfoBytes,
    maxMetadataValueBytes: limits.maxMetadataValueBytes ?? DefaultMaxMetadataValueBytes,
    maxMetadataBytes: limits.maxMetadataBytes ?? DefaultMaxMetadataBytes,
  };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`${name} must be a positive integer of bytes, got ${String(value)}`);
    }
  }
  return resolved;
}

/**
 * Checks the client's `initialize` info: its shape ({@link checkClientInfo}), then its size
 * against `maxClientInfoBytes`, measured as it would be stored; stops counting once over the bound.
 * @throws {InvalidSessionInputError} when it is not a {@link ClientInfoRecord}.
 * @throws {SessionTooLargeError} when it is larger.
 */
export function checkClientInfoSize(client: ClientInfoRecord, limits: ResolvedSizeLimits): void {
  checkClientInfo(client);
  let bytes = 0;
  for (const value of Object.values(clientInfoMetadata(client))) {
    bytes += Buffer.byteLength(value, "utf8");
    if (bytes > limits.maxClientInfoBytes) {
      throw new SessionTooLargeError("client info", bytes, limits.maxClientInfoBytes);
    }
  }
}

/**
 * Checks each value against `maxMetadataValueBytes` and all keys and values together against
 * `maxMetadataBytes`.
 * @throws {SessionTooLargeError} naming the first value, or the metadata, that is too large.
 */
export function checkMetadataSize(metadata: SessionMetadata, limits: ResolvedSizeLimits): void {
  let total = 0;
  for (const [key, value] of Object.entries(metadata)) {
    const valueBytes = Buffer.byteLength(value, "utf8");
    if (valueBytes > limits.maxMetadataValueBytes) {
      throw new SessionTooLargeError(
        `metadata value ${JSON.stringify(key)}`,
        valueBytes,
        limits.maxMetadataValueBytes,
      );
    }
    total += Buffer.byteLength(key, "utf8") + valueBytes;
  }
  if (total > limits.maxMetadataBytes) {
    throw new SessionTooLargeError("metadata", total, limits.maxMetadataBytes);
  }
}
