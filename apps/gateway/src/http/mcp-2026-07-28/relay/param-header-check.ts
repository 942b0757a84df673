import { VmcpSessionError } from "@vmcp/session-keys";
import { ErrorCode } from "../../../error-codes.js";
import type { ParamHeaderDeclaration } from "../lists/param-header-declarations.js";

/**
 * What is wrong with an `Mcp-Param-*` header a tool declares:
 * - `missing`: the argument has a value, the header is absent;
 * - `malformed`: the header holds characters a header value may not (anything but visible ASCII,
 *   space and tab), or a `=?base64?…?=` value whose payload is not canonical Base64 of UTF-8;
 * - `mismatch`: the header, decoded, differs from the argument;
 * - `unexpected`: the header is present, the argument is absent or `null` (so no value to mirror).
 */
export type ParamHeaderProblem = "missing" | "malformed" | "mismatch" | "unexpected";

/**
 * A 2026-07-28 `tools/call` whose `Mcp-Param-*` headers disagree with its `arguments` (the
 * tool's `x-mcp-header` declarations): answered HTTP 400, -32020 HeaderMismatch, before anything
 * reaches the backend. The message names the header and the argument's path, never their values.
 */
export class ParamHeaderMismatchError extends VmcpSessionError {
  readonly code = ErrorCode.ParamHeaderMismatch;
  /** The header, as the tool declares it (`Mcp-Param-Region`). */
  readonly header: string;
  readonly problem: ParamHeaderProblem;

  constructor(header: string, problem: ParamHeaderProblem, message: string) {
    super(message);
    this.header = header;
    this.problem = problem;
  }
}

const Sentinel = { prefix: "=?base64?", suffix: "?=" } as const;
const CanonicalBase64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const Decimal = /^-?\d+(?:\.\d+)?$/;
/** Visible ASCII, space and horizontal tab: what an HTTP field value may hold (RFC 9110). */
const FieldValue = /^[\t\x20-\x7e]*$/;

/**
 * Checks the `Mcp-Param-*` headers of one `tools/call` against its `arguments`, for every header
 * the tool declares (`paramHeaderDeclarations`), by MCP 2026-07-28's rules:
 * - an argument that is a string, a boolean or a finite number (an integer within the safe range)
 *   must come with its header, whose value, after decoding a `=?base64?…?=` one, equals the
 *   argument's text (`true`/`false` for booleans); an `integer` or `number` property is compared
 *   numerically (`42.0` equals `42`);
 * - an argument that is absent or `null` (or that no header can carry: an object, an array)
 *   must come without it: a header that claims a value the body does not hold disagrees with it.
 * Headers the tool does not declare are not looked at (they are forwarded untouched).
 * @param headers the request's `Mcp-Param-*` headers by lower-case name.
 * @throws {ParamHeaderMismatchError} for the first declaration that does not hold.
 */
export function checkParamHeaders(
  declarations: readonly ParamHeaderDeclaration[],
  args: unknown,
  headers: Readonly<Record<string, string>>,
): void {
  for (const declaration of declarations) {
    const { header } = declaration;
    const where = declaration.path.join(".");
    const raw = headers[header.toLowerCase()];
    const body = valueAt(args, declaration.path);
    const text = mirrored(body);
    if (text === undefined) {
      if (raw !== undefined) {
        throw new ParamHeaderMismatchError(
          header,
          "unexpected",
          `the ${header} header is present but the body carries no value for ${where}`,
        );
      }
      continue;
    }
    if (raw === undefined) {
      throw new ParamHeaderMismatchError(
        header,
        "missing",
        `the body carries ${where} but the ${header} header is absent`,
      );
    }
    const decoded = decodeParamHeaderValue(raw);
    if (decoded === undefined) {
      throw new ParamHeaderMismatchError(
        header,
        "malformed",
        `the ${header} header holds invalid characters or an invalid Base64 value`,
      );
    }
    const numeric =
      (declaration.type === "integer" || declaration.type === "number") &&
      typeof body === "number" &&
      Decimal.test(decoded);
    if (numeric ? Number(decoded) !== body : decoded !== text) {
      throw new ParamHeaderMismatchError(
        header,
        "mismatch",
        `the ${header} header does not match ${where} in the body`,
      );
    }
  }
}

/**
 * The value an `Mcp-Param-*` header carries: a `=?base64?…?=` value decoded (its
 * payload canonical Base64 of valid UTF-8), any other value as it is; `undefined` for a value
 * holding characters a header may not, or a sentinel whose payload does not decode.
 */
export function decodeParamHeaderValue(raw: string): string | undefined {
  if (!FieldValue.test(raw)) return undefined;
  const sentinel =
    raw.length >= Sentinel.prefix.length + Sentinel.suffix.length &&
    raw.startsWith(Sentinel.prefix) &&
    raw.endsWith(Sentinel.suffix);
  if (!sentinel) return raw;
  const payload = raw.slice(Sentinel.prefix.length, raw.length - Sentinel.suffix.length);
  if (!CanonicalBase64.test(payload)) return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(payload, "base64"));
  } catch {
    return undefined;
  }
}

/** The text a header carries for `value`, or `undefined` when no header may carry it. */
function mirrored(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value !== "number" || !Number.isFinite(value)) return undefined;
  if (Number.isInteger(value) && !Number.isSafeInteger(value)) return undefined;
  return String(value);
}

function valueAt(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (const key of path) {
    if (typeof node !== "object" || node === null || Array.isArray(node)) return undefined;
    node = Object.hasOwn(node, key) ? (node as Record<string, unknown>)[key] : undefined;
  }
  return node;
}
