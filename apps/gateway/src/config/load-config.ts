import { readFile } from "node:fs/promises";
import { GatewayConfigError } from "../errors.js";
import {
  ConfigFlags,
  type FlagValues,
  flagValuesFromEnv,
  mergeRawConfig,
  type RawConfig,
  rawConfigFromFlags,
} from "./config-sources.js";
import { type GatewayConfig, GatewayConfigSchema } from "./gateway-config.js";

/** Where {@link loadGatewayConfig} reads from. */
export interface ConfigInputs {
  /** Parsed flag values (see `parseServeFlags`). Highest precedence. */
  readonly flags?: FlagValues;
  /** Environment variables (`VMCP_*`); default none. Between flags and the file. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Builds the gateway configuration: defaults, then the JSON config file (`--config` or
 * `VMCP_CONFIG`), then `VMCP_*` environment variables, then flags; validates the result.
 * @throws {GatewayConfigError} naming the first bad field (e.g. `store.url`).
 */
export async function loadGatewayConfig(inputs: ConfigInputs = {}): Promise<GatewayConfig> {
  const envValues = flagValuesFromEnv(inputs.env ?? {});
  const flagValues = inputs.flags ?? {};
  const configPath = single(flagValues.config) ?? single(envValues.config);
  let raw: RawConfig = {};
  if (configPath !== undefined) raw = await readConfigFile(configPath);
  raw = mergeRawConfig(raw, rawConfigFromFlags(envValues));
  raw = mergeRawConfig(raw, rawConfigFromFlags(flagValues));
  return validateGatewayConfig(raw);
}

/**
 * Validates a raw configuration object (the config file's shape).
 * @throws {GatewayConfigError} naming the first bad field.
 */
export function validateGatewayConfig(raw: unknown): GatewayConfig {
  const result = GatewayConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue === undefined || issue.path.length === 0 ? "(root)" : issue.path.join(".");
  const hint = hintFor(field);
  throw new GatewayConfigError(field, `${issue?.message ?? "invalid"}${hint}`);
}

async function readConfigFile(path: string): Promise<RawConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new GatewayConfigError("config", `cannot read ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new GatewayConfigError(
      "config",
      `${path} is not valid JSON: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new GatewayConfigError("config", `${path} must hold a JSON object`);
  }
  return parsed as RawConfig;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[value.length - 1] : value;
}

const flagHints: Record<string, keyof typeof ConfigFlags> = {
  port: "port",
  host: "host",
  sessionTtlMs: "session-ttl-ms",
  maxBodyBytes: "max-body-bytes",
  logLevel: "log-level",
  idleTimeoutMs: "idle-timeout-ms",
  backendRetryInitialDelayMs: "backend-retry-initial-delay-ms",
  backendRetryMaxDelayMs: "backend-retry-max-delay-ms",
  backendRetryWaitMs: "backend-retry-wait-ms",
  stdioStopGraceMs: "stdio-stop-grace-ms",
  "store.kind": "store",
  "store.url": "redis-url",
  "identity.kind": "identity",
  bindingSecret: "binding-secret",
};

function hintFor(field: string): string {
  const flag = flagHints[field];
  return flag === undefined ? "" : ` (flag --${flag}, env ${ConfigFlags[flag].env})`;
}
