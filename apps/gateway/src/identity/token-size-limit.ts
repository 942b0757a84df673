import type { IncomingHttpHeaders } from "node:http";
import type { SessionOwner } from "@vmcp/session-core";
import { VmcpSessionError } from "@vmcp/session-keys";
import { ErrorCode } from "../error-codes.js";
import type { IdentityVerifier } from "./identity-verifier.js";

/** Default bound on one bearer token: 8 KiB (8192 bytes). */
export const DefaultMaxTokenBytes = 8 * 1024;

/** A bearer token longer than the configured bound (HTTP 431). The token itself is never kept. */
export class TokenTooLargeError extends VmcpSessionError {
  readonly code = ErrorCode.TokenTooLarge;
  /** The bound, bytes. */
  readonly maxTokenBytes: number;

  constructor(maxTokenBytes: number) {
    super(`the bearer token is larger than ${maxTokenBytes} bytes`);
    this.maxTokenBytes = maxTokenBytes;
  }
}

/**
 * An `IdentityVerifier` that refuses a bearer token over `maxTokenBytes` (UTF-8 bytes) with
 * {@link TokenTooLargeError} before `inner` sees it, so no verifier parses or hashes an
 * oversized token.
 */
export class TokenSizeLimitedVerifier implements IdentityVerifier {
  readonly kind: string;
  readonly #inner: IdentityVerifier;
  readonly #maxTokenBytes: number;

  /** @throws {RangeError} unless `maxTokenBytes` is a positive integer. */
  constructor(inner: IdentityVerifier, maxTokenBytes: number = DefaultMaxTokenBytes) {
    if (!Number.isSafeInteger(maxTokenBytes) || maxTokenBytes <= 0) {
      throw new RangeError(`maxTokenBytes must be a positive integer, got ${maxTokenBytes}`);
    }
    this.kind = inner.kind;
    this.#inner = inner;
    this.#maxTokenBytes = maxTokenBytes;
  }

  async verify(
    bearerToken: string | undefined,
    headers: IncomingHttpHeaders,
  ): Promise<SessionOwner | undefined> {
    if (bearerToken !== undefined && Buffer.byteLength(bearerToken, "utf8") > this.#maxTokenBytes) {
      throw new TokenTooLargeError(this.#maxTokenBytes);
    }
    return this.#inner.verify(bearerToken, headers);
  }
}
