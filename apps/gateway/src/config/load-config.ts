import { readFile } from "node:fs/promises";
import { GatewayConfigError } from "../errors.js";
import { configHint } from "./config-fields.js";
import {
  type FlagValues,
  flagValuesFromEnv,
  mergeRawConfig,
  type RawConfig,
  rawConfigFromFlags,
} from "./config-sources.js";
import { type GatewayConfig, GatewayConfigSchema } from "./gateway-config.js";
import { findJsonSyntaxError } from "./json-syntax-error.js";
import { unknownKeyProblem } from "./unknown-keys.js";

/** Where {@link loadGatewayConfig} reads from. */
export interface ConfigInputs {
  /** Parsed flag values (see `parseCommandLine`). Highest precedence. */
  readonly flags?: FlagValues;
  /** Environment variables (`VMCP_*`); default none. Between flags and the file. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Builds the gateway configuration: defaults, then the JSON config file (`--config` or
 * `VMCP_CONFIG`), then `VMCP_*` environment variables, then flags; validates the result.
 * @throws {GatewayConfigError} naming the first bad field (e.g. `store.url`) and, for a field
 *   settable by flag, its flag and environment variable.
 */
export async function loadGatewayConfig(inputs: ConfigInputs = {}): Promise<GatewayConfig> {
  const envValues = flagValuesFromEnv(inputs.env ?? {});
  const flagValues = inputs.flags ?? {};
  const configPath = single(flagValues.config) ?? single(envValues.config);
  let raw: RawConfig = {};
  if (configPath !== undefined) raw = await readConfigFile(configPath);
  raw = mergeRawConfig(raw, rawConfigFromFlags(envValues, "env"));
  raw = mergeRawConfig(raw, rawConfigFromFlags(flagValues, "flag"));
  return validate(raw, configPath);
}

/**
 * Validates a raw configuration object (the config file's shape).
 * @throws {GatewayConfigError} naming the first bad field, with its flag and environment variable
 *   when it has them (see `ConfigFields` in config-fields.ts); an unknown key first, with the
 *   nearest known key of its object ("did you mean limits.initializeBurst?").
 */
export function validateGatewayConfig(raw: unknown): GatewayConfig {
  return validate(raw, undefined);
}

/** {@link validateGatewayConfig}; an unknown key, which only a file can hold, names `configPath`. */
function validate(raw: unknown, configPath: string | undefined): GatewayConfig {
  const result = GatewayConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const unknown = unknownKeyProblem(GatewayConfigSchema, raw, result.error.issues);
  if (unknown !== undefined) {
    const where = configPath === undefined ? "" : ` (in ${configPath})`;
    throw new GatewayConfigError(unknown.field, `${unknown.message}${where}`);
  }
  const issue = result.error.issues[0];
  const field = issue === undefined || issue.path.length === 0 ? "(root)" : issue.path.join(".");
  throw new GatewayConfigError(field, `${issue?.message ?? "invalid"}${configHint(field)}`);
}

async function readConfigFile(path: string): Promise<RawConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new GatewayConfigError(
      "config",
      `cannot read ${path}: ${(error as Error).message}${configHint("config")}`,
      {
        cause: error,
      },
    );
  }
  // A byte order mark, which some editors write, is not JSON's business.
  const json = text.startsWith("\uFEFF") ? text.slice(1) : text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    const where = findJsonSyntaxError(json);
    const problem =
      where === undefined
        ? `${path} is not valid JSON: ${(error as Error).message}`
        : `${path}:${where.line}:${where.column}: not valid JSON: ${where.reason}`;
    throw new GatewayConfigError("config", `${problem}${configHint("config")}`, { cause: error });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new GatewayConfigError(
      "config",
      `${path} must hold a JSON object${configHint("config")}`,
    );
  }
  return parsed as RawConfig;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[value.length - 1] : value;
}
