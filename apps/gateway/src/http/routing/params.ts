import { InvalidRequestParamsError } from "./router-errors.js";

/** The params object of one request, as the router reads it. */
export type Params = Record<string, unknown>;

/**
 * The string param `name` of `params`.
 * @throws {InvalidRequestParamsError} naming `label` when it is missing or not a string.
 */
export function stringParam(params: Params, name: string, label = name): string {
  const value = params[name];
  if (typeof value !== "string") {
    throw new InvalidRequestParamsError(`${label} must be a string`);
  }
  return value;
}

/**
 * Refuses a param that is present but not a JSON object.
 * @throws {InvalidRequestParamsError} naming `name`.
 */
export function objectParam(params: Params, name: string): void {
  const value = params[name];
  if (
    value !== undefined &&
    (typeof value !== "object" || value === null || Array.isArray(value))
  ) {
    throw new InvalidRequestParamsError(`${name} must be an object`);
  }
}
