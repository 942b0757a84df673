import { createHash } from "node:crypto";

/**
 * The params a retry adds or may change, left out of the digest: the answers, the state itself
 * and the per-request `_meta` envelope (protocol version, client capabilities, progress token).
 */
export const DigestExcludedParams: readonly string[] = ["inputResponses", "requestState", "_meta"];

const excluded: ReadonlySet<string> = new Set(DigestExcludedParams);

/**
 * The digest of a request's params that binds a `requestState` to the request it answers:
 * base64url SHA-256 (43 characters) of the params without {@link DigestExcludedParams}, as
 * canonical JSON (object keys sorted by UTF-16 code units at every depth, no whitespace, members
 * whose value is `undefined` left out), so a client that re-serializes the same params in another
 * key order gets the same digest. The MRTR retry repeats the original params, so the first round
 * and the retry digest alike; any other change (a tool argument, the name, the URI) does not.
 * `undefined` params digest as `{}`. Params are parsed JSON (the request body), so every value is
 * JSON; a number keeps JSON's own text (`1.0` and `1` both read as 1).
 */
export function digestRequestArguments(
  params: Readonly<Record<string, unknown>> | undefined,
): string {
  const parts: string[] = [];
  writeObject(params ?? {}, parts, excluded);
  return createHash("sha256").update(parts.join("")).digest("base64url");
}

function writeValue(value: unknown, out: string[]): void {
  if (value === null || typeof value !== "object") {
    // Strings, finite numbers and booleans as JSON writes them; anything else (not from JSON) as null.
    out.push(JSON.stringify(value) ?? "null");
    return;
  }
  if (Array.isArray(value)) {
    out.push("[");
    value.forEach((item, index) => {
      if (index > 0) out.push(",");
      writeValue(item === undefined ? null : item, out);
    });
    out.push("]");
    return;
  }
  writeObject(value as Readonly<Record<string, unknown>>, out, undefined);
}

function writeObject(
  object: Readonly<Record<string, unknown>>,
  out: string[],
  skip: ReadonlySet<string> | undefined,
): void {
  out.push("{");
  let first = true;
  for (const key of Object.keys(object).sort()) {
    const value = object[key];
    if (value === undefined || skip?.has(key)) continue;
    if (!first) out.push(",");
    first = false;
    out.push(JSON.stringify(key), ":");
    writeValue(value, out);
  }
  out.push("}");
}
