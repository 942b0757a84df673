import { InvalidMetadataValueError } from "./value-errors.js";

/**
 * The values of a group of keys that are written together (client info, identity), in the order
 * of `keys`; `undefined` when none of them is stored.
 * @throws {InvalidMetadataValueError} naming the first missing key when only some are stored.
 */
export function readKeyGroup<const K extends readonly string[]>(
  metadata: Readonly<Record<string, string>>,
  keys: K,
  group: string,
): { [I in keyof K]: string } | undefined {
  if (keys.every((key) => metadata[key] === undefined)) return undefined;
  return keys.map((key) => {
    const value = metadata[key];
    if (value === undefined) {
      throw new InvalidMetadataValueError(
        key,
        undefined,
        `it is missing beside the other ${group} keys`,
      );
    }
    return value;
  }) as { [I in keyof K]: string };
}
