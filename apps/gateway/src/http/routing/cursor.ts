import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { VmcpSessionError } from "@vmcp/session-keys";
import { ErrorCode } from "../../error-codes.js";

/** What a gateway list cursor names: the list, the backend to continue with and its own cursor. */
export interface CursorPosition {
  /** The list method, e.g. `tools/list` (a cursor of one list is refused by another). */
  readonly list: string;
  /** The workload ID of the backend whose page comes next. */
  readonly workloadId: string;
  /** That backend's own cursor; absent for its first page. */
  readonly backendCursor?: string;
}

/** A cursor that was not made by this gateway for this session and list, or names a gone backend. */
export class InvalidCursorError extends VmcpSessionError {
  readonly code = ErrorCode.InvalidCursor;
  constructor(reason: string) {
    super(`invalid cursor: ${reason}`);
  }
}

/**
 * Makes and checks the gateway's opaque list cursors: base64url JSON of a {@link CursorPosition}
 * and an HMAC-SHA256 over the session ID and that text, keyed by a key derived from the binding
 * secret, so every replica sharing the secret accepts every other's cursors and nobody can forge
 * one or move it to another session or list.
 */
export class CursorCodec {
  readonly #key: Buffer;

  /** @param secret the binding secret; default: a random key (cursors then hold on this process only). */
  constructor(secret: string | Uint8Array = randomBytes(32)) {
    this.#key = createHmac("sha256", secret).update("vmcp.cursor.v1").digest();
  }

  /** The cursor text for `position` in session `sessionId`. */
  encode(sessionId: string, position: CursorPosition): string {
    const body = Buffer.from(
      JSON.stringify([position.list, position.workloadId, position.backendCursor ?? null]),
    ).toString("base64url");
    return `${body}.${this.#mac(sessionId, body)}`;
  }

  /**
   * The position a cursor names.
   * @throws {InvalidCursorError} for a cursor that is malformed, forged, of another session or of another list.
   */
  decode(sessionId: string, list: string, cursor: string): CursorPosition {
    const dot = cursor.indexOf(".");
    if (dot <= 0) throw new InvalidCursorError("not a cursor of this gateway");
    const body = cursor.slice(0, dot);
    const mac = Buffer.from(cursor.slice(dot + 1), "base64url");
    const expected = Buffer.from(this.#mac(sessionId, body), "base64url");
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) {
      throw new InvalidCursorError("not made by this gateway for this session");
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
    } catch {
      throw new InvalidCursorError("not a cursor of this gateway");
    }
    if (
      !Array.isArray(parsed) ||
      parsed.length !== 3 ||
      typeof parsed[0] !== "string" ||
      typeof parsed[1] !== "string" ||
      (parsed[2] !== null && typeof parsed[2] !== "string")
    ) {
      throw new InvalidCursorError("not a cursor of this gateway");
    }
    if (parsed[0] !== list) throw new InvalidCursorError(`it belongs to ${parsed[0]}, not ${list}`);
    return parsed[2] === null
      ? { list, workloadId: parsed[1] }
      : { list, workloadId: parsed[1], backendCursor: parsed[2] };
  }

  #mac(sessionId: string, body: string): string {
    return createHmac("sha256", this.#key)
      .update(sessionId)
      .update("\n")
      .update(body)
      .digest("base64url");
  }
}
