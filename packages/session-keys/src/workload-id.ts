import { InvalidWorkloadIdError } from "./errors.js";

/** The longest workload ID accepted, in UTF-16 code units. */
export const MaxWorkloadIdLength = 256;

// Whitespace (any Unicode space separator, line or paragraph separator) or a C0/C1 control character.
const ForbiddenCharacter = /[\s\p{Cc}\p{Cf}]/u;

/**
 * Explains why `workloadId` cannot be used as a workload ID, or returns `undefined` when it can.
 * A workload ID is a non-empty string of at most {@link MaxWorkloadIdLength} characters with no
 * comma (the backend list separator), whitespace, control or format character.
 */
export function workloadIdProblem(workloadId: unknown): string | undefined {
  if (typeof workloadId !== "string") return "it is not a string";
  if (workloadId.length === 0) return "it is empty";
  if (workloadId.length > MaxWorkloadIdLength) {
    return `it is longer than ${MaxWorkloadIdLength} characters`;
  }
  if (workloadId.includes(",")) return "it contains a comma, the backend list separator";
  const bad = ForbiddenCharacter.exec(workloadId);
  if (bad) {
    const codePoint = bad[0].codePointAt(0)?.toString(16).toUpperCase().padStart(4, "0");
    return `it contains whitespace or a control character (U+${codePoint}) at index ${bad.index}`;
  }
  return undefined;
}

/** Whether `workloadId` is a usable workload ID (see {@link workloadIdProblem}). */
export function isValidWorkloadId(workloadId: unknown): workloadId is string {
  return workloadIdProblem(workloadId) === undefined;
}

/**
 * Returns `workloadId` unchanged when it is a usable workload ID.
 * @throws {InvalidWorkloadIdError} naming the ID and the reason, otherwise.
 */
export function assertValidWorkloadId(workloadId: unknown): string {
  const problem = workloadIdProblem(workloadId);
  if (problem !== undefined) throw new InvalidWorkloadIdError(workloadId, problem);
  return workloadId as string;
}
