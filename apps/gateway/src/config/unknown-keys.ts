import { z } from "zod";
import { nearestName } from "./nearest-name.js";

/** A key of the configuration that no schema knows, and the message that says so. */
export interface UnknownKeyProblem {
  /** The dotted path of the unknown key, e.g. `limits.initialiseBurst`. */
  readonly field: string;
  /** E.g. `unknown key; did you mean limits.initializeBurst?`, or the keys known there. */
  readonly message: string;
}

type Issue = z.core.$ZodIssue;
type Path = readonly PropertyKey[];

/**
 * The first unknown key among the `issues` of validating `raw` against `schema` (also those
 * inside a union's branches), with the nearest known key of the same object as a suggestion, or
 * the list of known keys when none is near; `undefined` when no issue is about an unknown key.
 * An unknown key goes first: a misspelt key is usually what causes the other issues.
 */
export function unknownKeyProblem(
  schema: z.ZodType,
  raw: unknown,
  issues: readonly Issue[],
): UnknownKeyProblem | undefined {
  const found = firstUnrecognized(issues, []);
  if (found === undefined) return undefined;
  const [first = "", ...others] = found.keys;
  const at = found.path.map(String);
  const field = [...at, first].join(".");
  const known = [
    ...new Set(objectsAt(schema, found.path, raw).flatMap((o) => Object.keys(o.shape))),
  ];
  const near = nearestName(first, known);
  const hint =
    near !== undefined
      ? `; did you mean ${[...at, near].join(".")}?`
      : known.length > 0
        ? ` (known here: ${known.join(", ")})`
        : "";
  const also =
    others.length > 0
      ? `; also unknown: ${others.map((k) => [...at, k].join(".")).join(", ")}`
      : "";
  return { field, message: `unknown key${hint}${also}` };
}

function firstUnrecognized(
  issues: readonly Issue[],
  base: Path,
): { path: Path; keys: readonly string[] } | undefined {
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    if (issue.code === "unrecognized_keys") return { path, keys: issue.keys };
    if (issue.code === "invalid_union") {
      for (const branch of issue.errors) {
        const inner = firstUnrecognized(branch, path);
        if (inner !== undefined) return inner;
      }
    }
  }
  return undefined;
}

/** The object schemas that may describe the value at `path` of `raw` (several for a union). */
function objectsAt(schema: z.ZodType, path: Path, raw: unknown): z.ZodObject[] {
  const inner = unwrap(schema);
  if (inner instanceof z.ZodUnion) {
    return branchesFor(inner, raw).flatMap((branch) => objectsAt(branch, path, raw));
  }
  const [head, ...rest] = path;
  if (head === undefined) return inner instanceof z.ZodObject ? [inner] : [];
  const child =
    isRecord(raw) || Array.isArray(raw) ? (raw as Record<PropertyKey, unknown>)[head] : undefined;
  if (inner instanceof z.ZodObject) {
    const field = (inner.shape as Record<string, z.ZodType | undefined>)[String(head)];
    return field === undefined ? [] : objectsAt(field, rest, child);
  }
  if (inner instanceof z.ZodArray) return objectsAt(inner.element as z.ZodType, rest, child);
  if (inner instanceof z.ZodRecord) return objectsAt(inner.valueType as z.ZodType, rest, child);
  return [];
}

/** A discriminated union's branch for `raw`'s discriminator (all branches when none matches). */
function branchesFor(union: z.ZodUnion, raw: unknown): z.ZodType[] {
  const options = union.options as readonly z.ZodType[];
  if (!(union instanceof z.ZodDiscriminatedUnion) || !isRecord(raw)) return [...options];
  const discriminator = union.def.discriminator;
  const matching = options.filter((option) => {
    const inner = unwrap(option);
    if (!(inner instanceof z.ZodObject)) return false;
    const tag = (inner.shape as Record<string, z.ZodType | undefined>)[discriminator];
    return tag instanceof z.ZodLiteral && tag.values.has(raw[discriminator] as never);
  });
  return matching.length > 0 ? matching : [...options];
}

function unwrap(schema: z.ZodType): z.ZodType {
  let inner = schema;
  while (
    inner instanceof z.ZodDefault ||
    inner instanceof z.ZodPrefault ||
    inner instanceof z.ZodOptional ||
    inner instanceof z.ZodNullable
  ) {
    inner = inner.unwrap() as z.ZodType;
  }
  return inner;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
