import { type CursorCodec, type CursorPosition, InvalidCursorError } from "../../routing/cursor.js";

/** Scopes a modern list cursor may carry. */
const Scopes = ["private", "public"] as const;

/** A decoded modern list cursor: where the walk goes on, and the scope its pages keep. */
export interface ModernCursor {
  readonly position: CursorPosition;
  readonly scope: "public" | "private";
}

/**
 * The list cursors of the modern path, made by the gateway's `CursorCodec` (HMAC with a key
 * derived from the binding secret, so any replica sharing it accepts them) and bound, in place of
 * a session ID, to the caller and to the walk's cache scope: a cursor is refused for another
 * caller or list, and the scope of the walk's first page is kept by every later page.
 */
export class ModernListCursors {
  readonly #codec: CursorCodec;

  constructor(codec: CursorCodec) {
    this.#codec = codec;
  }

  /** The cursor text for `position`, for `caller` (see `callerKey`), in a walk of `scope`. */
  encode(caller: string, scope: "public" | "private", position: CursorPosition): string {
    return this.#codec.encode(bindingOf(caller, scope), position);
  }

  /**
   * The position and scope of a cursor of `list` made for `caller`.
   * @throws {InvalidCursorError} for a cursor that is not a string, malformed, forged, or made
   *   for another caller or list.
   */
  decode(caller: string, list: string, cursor: unknown): ModernCursor {
    if (typeof cursor !== "string") throw new InvalidCursorError("a cursor is a string");
    const failures: unknown[] = [];
    for (const scope of Scopes) {
      try {
        return { position: this.#codec.decode(bindingOf(caller, scope), list, cursor), scope };
      } catch (error) {
        failures.push(error);
      }
    }
    // A cursor whose MAC held for one scope failed on its list: that reason is the one to give.
    const forged = (e: unknown) => e instanceof Error && /not made by/.test(e.message);
    throw failures.find((e) => !forged(e)) ?? failures[0];
  }
}

function bindingOf(caller: string, scope: string): string {
  return `vmcp.modern\n${scope}\n${caller}`;
}
