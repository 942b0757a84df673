import { InvalidMetadataValueError } from "./value-errors.js";

/** A decoded JSON object (capabilities, client info). */
export type JsonObject = { [key: string]: unknown };

/**
 * Encodes `value` as the JSON text stored under a metadata key.
 * @throws {InvalidMetadataValueError} when `value` cannot be written as JSON (a cycle, a BigInt).
 */
export function encodeJsonObject(key: string, value: JsonObject): string {
  try {
    return JSON.stringify(value);
  } catch (error) {
    throw new InvalidMetadataValueError(key, undefined, "it cannot be written as JSON", {
      cause: error,
    });
  }
}

/**
 * Decodes the JSON object stored under metadata key `key` (the one "parse a JSON object" helper
 * of the key schema).
 * @throws {InvalidMetadataValueError} when `value` is not JSON, or is JSON but not an object
 *   (an array, `null`, a string or a number).
 */
export function decodeJsonObject(key: string, value: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new InvalidMetadataValueError(key, value, "it is not JSON", { cause: error });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new InvalidMetadataValueError(key, value, "it is not a JSON object");
  }
  return parsed as JsonObject;
}
