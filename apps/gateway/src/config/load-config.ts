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
  return validateGatewayConfig(raw);
}

/**
 * Validates a raw configuration object (the config file's shape).
 * @throws {GatewayConfigError} naming the first bad field, with its flag and environment variable
 *   when it has them (see `ConfigFields` in config-fields.ts).
 */
export function validateGatewayConfig(raw: unknown): GatewayConfig {
  const result = GatewayConfigSchema.safeParse(raw);
  if (result.success) return result.data;
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
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new GatewayConfigError(
      "config",
      `${path} is not valid JSON: ${(error as Error).message}${configHint("config")}`,
      {
        cause: error,
      },
    );
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
