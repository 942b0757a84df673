import { SessionDecodeError, StorageUnavailableError, VmcpSessionError } from "@vmcp/session-core";

/** The error prefix the scripts raise for a value they cannot read as a session. */
export const DecodeErrorPrefix = "VMCPDECODE ";

/**
 * Maps anything ioredis throws to the core's errors: a script's decode error or a `WRONGTYPE`
 * reply becomes `SessionDecodeError` naming `sessionId`; our own typed errors pass through;
 * everything else (connection refused or lost, timeouts, `READONLY`, `LOADING`, `CLUSTERDOWN`,
 * `NOAUTH`...) becomes `StorageUnavailableError` with the original as `cause`.
 */
export function toStorageError(error: unknown, operation: string, sessionId?: string): Error {
  if (error instanceof VmcpSessionError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (sessionId !== undefined) {
    if (message.startsWith(DecodeErrorPrefix)) {
      return new SessionDecodeError(sessionId, message.slice(DecodeErrorPrefix.length), {
        cause: error,
      });
    }
    if (message.startsWith("WRONGTYPE")) {
      return new SessionDecodeError(
        sessionId,
        "a value of another type is stored at the session key",
        {
          cause: error,
        },
      );
    }
  }
  return new StorageUnavailableError(`Redis ${operation} failed: ${message}`, { cause: error });
}

/** The error for an operation that ran past its bound. */
export function timeoutError(
  operation: string,
  timeoutMs: number,
  lastError: Error | undefined,
): StorageUnavailableError {
  const reason = lastError === undefined ? "" : ` (last connection error: ${lastError.message})`;
  return new StorageUnavailableError(
    `Redis ${operation} did not complete within ${timeoutMs} ms${reason}`,
    lastError === undefined ? undefined : { cause: lastError },
  );
}
