import {
  SessionDecodeError,
  type SessionMetadata,
  type SessionRecord,
} from "@vmcp/session-core/storage";
import { Field, MetadataFieldPrefix } from "./key-layout.js";

/** Metadata as the flat field/value list the scripts take (`m:<key>`, value, ...). */
export function encodeMetadata(metadata: Readonly<SessionMetadata>): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(metadata)) out.push(MetadataFieldPrefix + key, value);
  return out;
}

/** The hash field that holds metadata `key`. */
export function metadataField(key: string): string {
  return MetadataFieldPrefix + key;
}

/**
 * Decodes a session hash (a flat field/value array, as HGETALL or the load script gives it) into a
 * record. Written as one tight loop: it runs on every load.
 * @throws {SessionDecodeError} naming `id` for a missing or malformed reserved field or a field
 *   outside the layout.
 */
export function decodeRecord(id: string, reply: unknown): SessionRecord {
  if (!Array.isArray(reply))
    throw new SessionDecodeError(id, `unexpected reply of type ${typeof reply}`);
  const length = reply.length;
  if (length % 2 !== 0) throw new SessionDecodeError(id, "odd-length hash reply");
  const metadata: SessionMetadata = {};
  let createdAt = -1;
  let updatedAt = -1;
  let expiresAt = -1;
  let version = -1;
  for (let i = 0; i < length; i += 2) {
    const field: unknown = reply[i];
    const value: unknown = reply[i + 1];
    if (typeof field !== "string" || typeof value !== "string") {
      throw new SessionDecodeError(id, "a hash field or value is not a string");
    }
    if (field.startsWith(MetadataFieldPrefix)) {
      const key = field.slice(MetadataFieldPrefix.length);
      if (key === "__proto__") {
        // defineProperty, so "__proto__" stays an ordinary own key rather than the prototype.
        Object.defineProperty(metadata, key, {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else {
        metadata[key] = value;
      }
    } else if (field === Field.createdAt) {
      createdAt = parseInteger(id, field, value);
    } else if (field === Field.updatedAt) {
      updatedAt = parseInteger(id, field, value);
    } else if (field === Field.expiresAt) {
      expiresAt = parseInteger(id, field, value);
    } else if (field === Field.version) {
      version = parseInteger(id, field, value);
      if (version < 1) throw new SessionDecodeError(id, `version ${value} is not positive`);
    } else {
      throw new SessionDecodeError(id, `unknown hash field ${JSON.stringify(field)}`);
    }
  }
  if (createdAt < 0 || updatedAt < 0 || version < 0) {
    throw new SessionDecodeError(id, "the session hash lacks createdAt, updatedAt or version");
  }
  return expiresAt < 0
    ? { id, createdAt, updatedAt, version, metadata }
    : { id, createdAt, updatedAt, expiresAt, version, metadata };
}

/** Whether a decoded record's deadline has passed at `now` (epoch ms). */
export function isPastDeadline(record: SessionRecord, now: number): boolean {
  return record.expiresAt !== undefined && record.expiresAt <= now;
}

/** A canonical non-negative decimal integer (no sign, no leading zeros, no exponent), or a decode error. */
function parseInteger(id: string, field: string, value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 0 || String(parsed) !== value) {
    throw new SessionDecodeError(
      id,
      `field ${field} is not a decimal integer: ${JSON.stringify(value.slice(0, 32))}`,
    );
  }
  return parsed;
}
