import { SessionDecodeError, type SessionMetadata, type SessionRecord } from "@vmcp/session-core";
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
 * Decodes a session hash (HGETALL as a flat field/value array, or as an object) into a record.
 * @throws {SessionDecodeError} naming `id` for a missing or malformed reserved field or a field
 *   outside the layout.
 */
export function decodeRecord(id: string, reply: unknown): SessionRecord {
  const entries = toEntries(id, reply);
  const metadata: SessionMetadata = {};
  let createdAt: number | undefined;
  let updatedAt: number | undefined;
  let expiresAt: number | undefined;
  let version: number | undefined;
  for (const [field, value] of entries) {
    if (field.startsWith(MetadataFieldPrefix)) {
      // defineProperty, so a key such as "__proto__" stays an ordinary own key.
      Object.defineProperty(metadata, field.slice(MetadataFieldPrefix.length), {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      continue;
    }
    switch (field) {
      case Field.createdAt:
        createdAt = parseInteger(id, field, value);
        break;
      case Field.updatedAt:
        updatedAt = parseInteger(id, field, value);
        break;
      case Field.expiresAt:
        expiresAt = parseInteger(id, field, value);
        break;
      case Field.version:
        version = parseInteger(id, field, value);
        if (version < 1) throw new SessionDecodeError(id, `version ${value} is not positive`);
        break;
      default:
        throw new SessionDecodeError(id, `unknown hash field ${JSON.stringify(field)}`);
    }
  }
  if (createdAt === undefined || updatedAt === undefined || version === undefined) {
    throw new SessionDecodeError(id, "the session hash lacks createdAt, updatedAt or version");
  }
  const record = { id, createdAt, updatedAt, version, metadata };
  return expiresAt === undefined ? record : { ...record, expiresAt };
}

/** Whether a decoded record's deadline has passed at `now` (epoch ms). */
export function isPastDeadline(record: SessionRecord, now: number): boolean {
  return record.expiresAt !== undefined && record.expiresAt <= now;
}

function toEntries(id: string, reply: unknown): Array<[string, string]> {
  if (Array.isArray(reply)) {
    if (reply.length % 2 !== 0) throw new SessionDecodeError(id, "odd-length hash reply");
    const entries: Array<[string, string]> = [];
    for (let i = 0; i < reply.length; i += 2) {
      const field: unknown = reply[i];
      const value: unknown = reply[i + 1];
      if (typeof field !== "string" || typeof value !== "string") {
        throw new SessionDecodeError(id, "a hash field or value is not a string");
      }
      entries.push([field, value]);
    }
    return entries;
  }
  if (typeof reply === "object" && reply !== null) {
    const entries: Array<[string, string]> = [];
    for (const [field, value] of Object.entries(reply)) {
      if (typeof value !== "string")
        throw new SessionDecodeError(id, "a hash value is not a string");
      entries.push([field, value]);
    }
    return entries;
  }
  throw new SessionDecodeError(id, `unexpected reply of type ${typeof reply}`);
}

function parseInteger(id: string, field: string, value: string): number {
  if (!/^\d{1,16}$/.test(value)) {
    throw new SessionDecodeError(
      id,
      `field ${field} is not a decimal integer: ${JSON.stringify(value.slice(0, 32))}`,
    );
  }
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed))
    throw new SessionDecodeError(id, `field ${field} is out of range`);
  return parsed;
}
