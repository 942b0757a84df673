/**
 * `{ [key]: value }`, or `{}` when `value` is `undefined`: spread it to pass an optional field on
 * only when it is set (`...ifDefined("issuer", config.issuer)`). Under
 * `exactOptionalPropertyTypes` a field set to `undefined` is not an absent one, so the plain
 * `{ issuer: config.issuer }` would not type-check where `issuer?: string` is expected.
 */
export function ifDefined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
