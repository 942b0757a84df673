import {
  SessionDecodeError,
  StorageScriptError,
  StorageUnavailableError,
} from "@vmcp/session-core/storage";
import { VmcpSessionError } from "@vmcp/session-keys";

/** The error prefix the scripts raise for a value they cannot read as a session. */
export const DecodeErrorPrefix = "VMCPDECODE ";

/**
 * Whether a Redis error reply is a failure of the Lua script itself: a runtime error
 * (`ERR user_script:1: ...`), a bad `redis.call` (`ERR ... from script script: <sha>, ...`) or a
 * script that does not compile (`ERR Error compiling script ...`). Those are `ERR` replies that
 * name the script. `NOSCRIPT` is not one (ioredis answers it by sending the script with `EVAL`),
 * nor are the conditions of a server in trouble that Redis reports from inside a script under
 * their own prefixes (`READONLY`, `LOADING`, `BUSY`, `OOM`, `CLUSTERDOWN`...).
 */
export function isScriptError(message: string): boolean {
  return /^ERR\b/.test(message) && /user_script|\bscript\b/i.test(message);
}

/**
 * Maps anything ioredis throws to the core's errors: a script's decode error or a `WRONGTYPE`
 * reply becomes `SessionDecodeError` naming `sessionId`; a failing script (see
 * {@link isScriptError}) becomes `StorageScriptError`, a bug that retrying does not cure; our
 * own typed errors pass through; everything else (connection refused or lost, timeouts,
 * `READONLY`, `LOADING`, `CLUSTERDOWN`, `NOAUTH`...) becomes `StorageUnavailableError` with the
 * original as `cause`.
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
  if (isScriptError(message)) {
    return new StorageScriptError(operation, `Redis: ${message}`, { cause: error });
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
