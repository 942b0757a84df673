import { InvalidBackendListError, InvalidWorkloadIdError } from "./errors.js";
import { assertValidWorkloadId } from "./workload-id.js";

/**
 * Encodes workload IDs as the value of `vmcp.backend.ids`: validated, de-duplicated, sorted by
 * code unit and joined with commas. An empty input gives an empty string, which callers do not
 * write (the key is only written when at least one backend connected).
 * @throws {InvalidWorkloadIdError} for the first unusable ID.
 */
export function encodeBackendIds(workloadIds: Iterable<string>): string {
  const unique = new Set<string>();
  for (const id of workloadIds) unique.add(assertValidWorkloadId(id));
  return [...unique].sort().join(",");
}

/**
 * Decodes a `vmcp.backend.ids` value into its workload IDs, in stored order. An empty string
 * decodes to an empty list.
 * @throws {InvalidBackendListError} when an entry is not a valid workload ID (for example `"a,,b"`).
 */
export function decodeBackendIds(value: string): string[] {
  if (value === "") return [];
  const ids = value.split(",");
  for (const id of ids) {
    try {
      assertValidWorkloadId(id);
    } catch (error) {
      if (error instanceof InvalidWorkloadIdError) throw new InvalidBackendListError(value, error);
      throw error;
    }
  }
  return ids;
}
