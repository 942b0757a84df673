/**
 * Thrown when a workload ID cannot be used in metadata keys or in the comma-separated backend
 * list: it is empty, too long, or holds a comma, whitespace or a control character.
 */
export class InvalidWorkloadIdError extends Error {
  /** Stable machine-readable code. */
  readonly code = "VMCP_INVALID_WORKLOAD_ID";
  /** The refused workload ID, exactly as given. */
  readonly workloadId: unknown;

  constructor(workloadId: unknown, reason: string) {
    super(`invalid workload ID ${JSON.stringify(workloadId)}: ${reason}`);
    this.name = "InvalidWorkloadIdError";
    this.workloadId = workloadId;
  }
}

/** Thrown when a stored backend ID list cannot be decoded (one of its entries is not a valid workload ID). */
export class InvalidBackendListError extends Error {
  /** Stable machine-readable code. */
  readonly code = "VMCP_INVALID_BACKEND_LIST";
  /** The refused list value, exactly as stored. */
  readonly value: string;

  constructor(value: string, cause: InvalidWorkloadIdError) {
    super(`invalid backend ID list ${JSON.stringify(value)}: ${cause.message}`, { cause });
    this.name = "InvalidBackendListError";
    this.value = value;
  }
}
