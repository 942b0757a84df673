import { z } from "zod";

const parsedDefaults = new WeakMap<z.ZodType, unknown>();

/**
 * The default `--help` and the README show for the field at the dotted `path` of `schema`
 * (e.g. `limits.maxBatchLength`): the value the schema fills in when the field is absent (its
 * `.default()`, found by parsing `{}`), else the `appliedDefault` its schema declares with
 * `.meta()`, else `undefined` (no default). Objects and arrays are not shown.
 *
 * `appliedDefault` is for a default that a module applies to the absent field (the schema leaves
 * it absent): `jwksRefreshMs: z.int().optional().meta({ appliedDefault: DefaultJwksRefreshMs })`,
 * with the module's own constant, or a few words when the default is no value (`"a random key
 * per process"`). So every shown default has one source: the schema, or the constant of the
 * module that applies it.
 */
export function shownDefault(schema: z.ZodType, path: string): string | undefined {
  const parsed = valueAt(defaultsOf(schema), path.split("."));
  if (isShown(parsed)) return String(parsed);
  for (const field of schemasAt(schema, path.split("."))) {
    const applied = z.globalRegistry.get(field)?.appliedDefault;
    if (isShown(applied)) return String(applied);
  }
  return undefined;
}

/** What `schema` makes of `{}`: every default it fills in (`undefined` when `{}` is refused). */
function defaultsOf(schema: z.ZodType): unknown {
  if (!parsedDefaults.has(schema)) {
    const result = schema.safeParse({});
    parsedDefaults.set(schema, result.success ? result.data : undefined);
  }
  return parsedDefaults.get(schema);
}

function valueAt(value: unknown, path: readonly string[]): unknown {
  let node = value;
  for (const key of path) {
    node =
      typeof node === "object" && node !== null
        ? (node as Record<string, unknown>)[key]
        : undefined;
  }
  return node;
}

function isShown(value: unknown): value is string | number | boolean {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean";
}

/**
 * Every schema the path can lead to: each layer of a default, prefault or optional wrapper, and
 * into each option of a union (the `redis` store's `keyPrefix`, the `jwt` identity's fields).
 */
function schemasAt(schema: z.ZodType, path: readonly string[]): z.ZodType[] {
  const layers = unwrapped(schema);
  const [head, ...rest] = path;
  if (head === undefined) return layers;
  const found: z.ZodType[] = [];
  for (const layer of layers) {
    if (layer instanceof z.ZodObject) {
      const child = (layer.shape as Record<string, z.ZodType | undefined>)[head];
      if (child !== undefined) found.push(...schemasAt(child, rest));
    } else if (layer instanceof z.ZodUnion) {
      for (const option of layer.options as readonly z.ZodType[]) {
        found.push(...schemasAt(option, path));
      }
    }
  }
  return found;
}

/** `schema` and what each default, prefault or optional wrapper around it wraps. */
function unwrapped(schema: z.ZodType): z.ZodType[] {
  const layers = [schema];
  for (let layer: z.ZodType = schema; ; ) {
    if (
      layer instanceof z.ZodDefault ||
      layer instanceof z.ZodPrefault ||
      layer instanceof z.ZodOptional
    ) {
      layer = layer.unwrap() as z.ZodType;
      layers.push(layer);
    } else {
      return layers;
    }
  }
}
