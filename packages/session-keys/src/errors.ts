/**
 * The one base class of every vmcp-sessions error, the reader of a table of codes, and the codes
 * of this package's own errors. The base lives here, in the package at the bottom of the import
 * graph (no dependencies), because this is the lowest package whose errors need it; it is
 * exported from here only. Each package owns the codes of the errors it throws: the key schema
 * its three below, `@vmcp/session-core` its own (its `ErrorCode` table also lists these three,
 * which reach its callers), a store or an application theirs.
 */

/**
 * The codes of the key schema's errors (`error.code`). Switch on these names, not on string
 * literals, so a misspelled case does not compile.
 */
export const KeyErrorCode = {
  /** `InvalidWorkloadIdError`: a workload ID that cannot be used in keys or the backend list. */
  InvalidWorkloadId: "VMCP_INVALID_WORKLOAD_ID",
  /** `InvalidBackendListError`: a stored backend ID list that cannot be decoded. */
  InvalidBackendList: "VMCP_INVALID_BACKEND_LIST",
  /** `InvalidMetadataValueError`: a stored `vmcp.*` value that cannot be decoded. */
  InvalidMetadataValue: "VMCP_INVALID_METADATA_VALUE",
} as const;

/** One of the codes of {@link KeyErrorCode}. */
export type KeyErrorCode = (typeof KeyErrorCode)[keyof typeof KeyErrorCode];

/** Reads the codes of one table (see {@link errorCodeReader}). */
export interface ErrorCodeReader<Code extends string> {
  /** Whether `value` is one of the table's codes. */
  is(value: unknown): value is Code;
  /**
   * The code of `error` when it is one of the table's, else `undefined`. It reads the `code`
   * property rather than using `instanceof`, so it also recognizes an error from another copy of
   * the packages (two versions installed side by side), or a plain object carrying the code.
   */
  of(error: unknown): Code | undefined;
}

/**
 * A reader of the codes of `table` (an object of code strings, like {@link KeyErrorCode}): the
 * one way each package builds its `isErrorCode` and `errorCodeOf` over the codes it owns.
 */
export function errorCodeReader<const Table extends Readonly<Record<string, string>>>(
  table: Table,
): ErrorCodeReader<Table[keyof Table]> {
  const codes: ReadonlySet<string> = new Set(Object.values(table));
  const is = (value: unknown): value is Table[keyof Table] =>
    typeof value === "string" && codes.has(value);
  return {
    is,
    of(error) {
      if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
      return is(error.code) ? error.code : undefined;
    },
  };
}

/**
 * The base class of every vmcp-sessions error, in every package. Its `name` is the concrete
 * class's name (taken from `new.target`, so no subclass sets it by hand), and its `code` is a
 * stable machine-readable string from the table of the package that throws it (`VMCP_...`).
 */
export abstract class VmcpSessionError extends Error {
  /** Stable machine-readable code, from the throwing package's table. */
  abstract readonly code: string;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * Thrown when a workload ID cannot be used in metadata keys or in the comma-separated backend
 * list: it is empty, too long, or holds a comma, whitespace or a control character.
 */
export class InvalidWorkloadIdError extends VmcpSessionError {
  readonly code = KeyErrorCode.InvalidWorkloadId;
  /** The refused workload ID, exactly as given. */
  readonly workloadId: unknown;

  constructor(workloadId: unknown, reason: string) {
    super(`invalid workload ID ${JSON.stringify(workloadId)}: ${reason}`);
    this.workloadId = workloadId;
  }
}

/** Thrown when a stored backend ID list cannot be decoded (one of its entries is not a valid workload ID). */
export class InvalidBackendListError extends VmcpSessionError {
  readonly code = KeyErrorCode.InvalidBackendList;
  /** The refused list value, exactly as stored. */
  readonly value: string;

  constructor(value: string, cause: InvalidWorkloadIdError) {
    super(`invalid backend ID list ${JSON.stringify(value)}: ${cause.message}`, { cause });
    this.value = value;
  }
}
