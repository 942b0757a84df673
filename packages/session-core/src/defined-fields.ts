/** An object's fields without `undefined` in their values, each optional. */
export type DefinedFields<T> = { [K in keyof T]?: Exclude<T[K], undefined> };

/**
 * The fields of `fields` whose value is not `undefined`: the one way this package builds an
 * object of optional properties from values that may be missing (under
 * `exactOptionalPropertyTypes` a property may be absent but not `undefined`), instead of a
 * `...(x === undefined ? {} : { x })` spread per property.
 */
export function definedFields<T extends object>(fields: T): DefinedFields<T> {
  const defined: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) defined[key] = value;
  return defined as DefinedFields<T>;
}
